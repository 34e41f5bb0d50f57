package dev.jmerge.run;

import dev.jmerge.error.MergeException;
import dev.jmerge.plan.Plan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * How an intermediate merge of a recipe was made, kept beside it as {@code .NAME.jmerge-made-from}: the plan's
 * fingerprint without the seed (document text, output layout, every input file's path, size and time) and the
 * seed when the plan drew random numbers. {@code --lazy} reuses an intermediate only when this matches the
 * plan of the document now, so an edited recipe or a rebuilt input is merged again.
 *
 * <p>Format: {@code jmerge-made-from 1}, {@code plan HEX}, then {@code seed N} for a random plan.
 */
public final class MadeFrom {

    private static final String MAGIC = "jmerge-made-from 1";

    private MadeFrom() {}

    static Path file(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        return abs.resolveSibling("." + abs.getFileName() + ".jmerge-made-from");
    }

    /** Records that {@code out} now holds the output of {@code plan} as {@code run} made it. */
    public static void record(Path out, Plan plan, MergeRun run) {
        StringBuilder text = new StringBuilder(MAGIC).append('\n')
                .append("plan ").append(PlanFingerprint.of(plan, run.execOptions(), false)).append('\n');
        if (MergeRun.stochastic(plan)) text.append("seed ").append(run.seed()).append('\n');
        Path f = file(out);
        Path tmp = f.resolveSibling(f.getFileName() + ".new");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new MergeException(f + ": cannot record how the intermediate was made (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Why {@code out} cannot stand for {@code plan}'s output, or empty when it can be reused.
     *
     * @param seedGiven the seed was asked for (--random-seed): then a random plan must have used that very seed;
     *                  a drawn seed accepts the one recorded
     */
    public static Optional<String> whyNot(Path out, Plan plan, MergeRun run, boolean seedGiven) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file(out), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return Optional.of("there is no record of how it was made");
        }
        if (lines.size() < 2 || !lines.get(0).equals(MAGIC)) return Optional.of("its record is not one jmerge wrote");
        if (!lines.get(1).equals("plan " + PlanFingerprint.of(plan, run.execOptions(), false))) {
            return Optional.of("its document, options or input files changed since it was made");
        }
        if (seedGiven && MergeRun.stochastic(plan) && !lines.contains("seed " + run.seed())) {
            return Optional.of("it was made with another random seed");
        }
        return Optional.empty();
    }
}

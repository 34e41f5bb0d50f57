package dev.jmerge.run;

import dev.jmerge.error.ConfigException;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.Plan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Inputs are never modified: an output folder that is an input model's folder, or holds one, would replace it
 * (with --overwrite, or when the swap of a finished merge moves it aside); one inside an input's folder would
 * add to it, and with --overwrite replace part of it. Paths are compared after symbolic links are resolved.
 */
public final class OutputGuard {

    private OutputGuard() {}

    static void check(Plan plan, Path out, boolean overwrite) {
        check(plan.models(), out, overwrite);
    }

    /** As for a merge, for the models another tool reads (a MoE build). */
    public static void check(java.util.Collection<LoadedModel> models, Path out, boolean overwrite) {
        Path target = real(out);
        for (LoadedModel m : models) {
            Path in = real(m.folder());
            String what;
            if (target.equals(in)) what = "is the folder of";
            else if (in.startsWith(target)) what = "contains the folder of";
            else if (overwrite && target.startsWith(in)) what = "lies inside the folder of";
            else continue;
            throw new ConfigException(out + ": the output path " + what + " input model '" + m.label() + "' (" + in
                    + "); writing there would change the inputs, so choose another output folder");
        }
    }

    /** The path with every existing ancestor's links resolved (the output itself usually does not exist yet). */
    static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return abs;
        try {
            return existing.toRealPath().resolve(existing.relativize(abs));
        } catch (IOException e) {
            return abs;
        }
    }
}

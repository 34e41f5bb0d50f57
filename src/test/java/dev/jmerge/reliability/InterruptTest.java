package dev.jmerge.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.synth.SyntheticModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGINT and SIGTERM sent for real to a child jmerge: the workers stop, finished shards and the journal stay
 * for --resume (which takes the seed from the journal), shards cut short go, and one line says what to do.
 */
class InterruptTest {

    @TempDir
    static Path shared;

    static Path config;
    static int tensorsInFirstShard;

    @BeforeAll
    static void models() {
        SyntheticModels.write(shared.resolve("base"), KillTest.SHAPE, 13, 0, 0.1, 0);
        SyntheticModels.write(shared.resolve("ft"), KillTest.SHAPE, 13, 1, 0.1, 0);
        config = Models.writeString(shared.resolve("dare.yml"), """
                merge_method: dare_ties
                base_model: %s
                models:
                  - model: %s
                    parameters: {weight: 0.8, density: 0.4}
                dtype: float32
                """.formatted(shared.resolve("base"), shared.resolve("ft")));
        Cli.Result plan = Cli.run(config.toString(), "--dry-run", "--out-shard-size", KillTest.SHARD, "--random-seed", "1");
        Matcher m = Pattern.compile("model-00001-of-\\d+\\.safetensors {2}(\\d+) tensors").matcher(plan.out());
        assertThat(m.find()).as(plan.out()).isTrue();
        tensorsInFirstShard = Integer.parseInt(m.group(1));
    }

    @TempDir
    Path dir;

    /** Merge arguments without a seed, so that the run draws one. */
    static List<String> args(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of(config.toString(), out.toString(), "--quiet", "--no-copy-tokenizer",
                "--no-write-model-card", "-j", "2", "--out-shard-size", KillTest.SHARD));
        a.addAll(List.of(extra));
        return a;
    }

    /** Starts a child that pauses at {@code point}, sends it {@code signal}, returns it once it has exited. */
    static Child interruptedAt(String point, String signal, Path out) throws Exception {
        Child c = Child.start(List.of("jmerge.test.pause=" + point), args(out));
        c.awaitPause();
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(c.pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
        return c;
    }

    static List<String> lines(Child c) {
        return c.err().stream().filter(l -> !l.startsWith("WARNING: Using incubator") && !l.startsWith("jmerge: paused")
                && !l.isBlank()).toList();
    }

    static List<String> tempFiles(Path out) throws IOException {
        try (Stream<Path> s = Files.list(dir(out))) {
            Path temp = s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().startsWith(".out.jmerge-tmp-"))
                    .findFirst().orElseThrow();
            try (Stream<Path> f = Files.list(temp)) {
                return f.map(p -> p.getFileName().toString()).sorted().toList();
            }
        }
    }

    private static Path dir(Path out) { return out.toAbsolutePath().getParent(); }

    @Test
    void ctrlCKeepsFinishedShardsAndResumeReusesTheDrawnSeed() throws Exception {
        Path out = dir.resolve("out");
        Child c = interruptedAt("shard-done@2", "INT", out);
        assertThat(c.await()).isEqualTo(130);
        List<String> err = lines(c);
        Matcher seed = Pattern.compile("random seed: (\\d+) \\(pass --random-seed \\d+ to reproduce\\)").matcher(err.getFirst());
        assertThat(seed.matches()).as("%s", err).isTrue();
        assertThat(err.getLast()).isEqualTo("interrupted: 2 of 5 shards of " + out
                + " are finished and kept; run the same command with --resume to continue");
        assertThat(err).hasSize(2);
        assertThat(out).doesNotExist();
        assertThat(tempFiles(out)).containsExactly("model-00001-of-00005.safetensors", "model-00002-of-00005.safetensors");
        assertThat(Cli.leftovers(out)).anyMatch(n -> n.endsWith(".journal"));

        Cli.Result resumed = Cli.run(args(out, "--resume").toArray(String[]::new));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("random seed: " + seed.group(1) + " (the interrupted merge's, from its journal)",
                "kept 2 of 5 shards").doesNotContain("nothing to resume");

        Path reference = dir.resolve("reference");
        assertThat(Cli.run(args(reference, "--random-seed", seed.group(1)).toArray(String[]::new)).code()).isZero();
        assertThat(Models.checksums(out)).isEqualTo(Models.checksums(reference));
        assertThat(Cli.leftovers(out)).isEmpty();
    }

    @Test
    void aShardCutShortIsRemovedAndTheFinishedOnesKept() throws Exception {
        Path out = dir.resolve("out");
        // a worker pauses after the first tensor of the second shard: that shard is half written
        Child c = interruptedAt("tensor-done@" + (tensorsInFirstShard + 1), "TERM", out);
        assertThat(c.await()).isEqualTo(143);
        assertThat(lines(c).getLast()).isEqualTo("interrupted: 1 of 5 shards of " + out
                + " are finished and kept; run the same command with --resume to continue");
        assertThat(tempFiles(out)).containsExactly("model-00001-of-00005.safetensors");
    }

    @Test
    void anInterruptBeforeAnyShardIsFinishedLeavesNothing() throws Exception {
        Path out = dir.resolve("out");
        Child c = interruptedAt("tensor-done@1", "TERM", out);
        assertThat(c.await()).isEqualTo(143);
        assertThat(lines(c).getLast()).isEqualTo("interrupted: nothing was written to " + out);
        assertThat(out).doesNotExist();
        assertThat(Cli.leftovers(out)).isEmpty();
    }
}

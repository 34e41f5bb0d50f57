package dev.jmerge.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.io.ModelWeights;
import dev.jmerge.output.OutputFolder;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SIGKILL at any moment: the output path is then absent or a complete model equal to an uninterrupted run's,
 * never partial, and the next run succeeds, removing the leftovers it recognises as its own and nothing else.
 */
class KillTest {

    /** About 17 MB per model, five output shards of at most 4 MB: a merge takes a second or two. */
    static final ModelShape SHAPE = new ModelShape(256, 688, 4, 8, 8, 2048, false, DType.F32);
    static final String SHARD = "4M";

    @TempDir
    static Path shared;

    static Path config;
    static Path reference;
    static Map<String, Long> expected;

    @BeforeAll
    static void models() {
        config = Models.linearSetup(shared, SHAPE, 0);
        reference = shared.resolve("reference");
        Cli.Result r = Cli.merge(config, reference, "--out-shard-size", SHARD);
        assertThat(r.code()).as(r.err()).isZero();
        expected = Models.checksums(reference);
        assertThat(expected.keySet()).contains("model-00005-of-00005.safetensors");
    }

    @TempDir
    Path dir;

    /** Absent, or byte for byte the uninterrupted run's output, which ModelWeights opens in full. */
    static void assertAbsentOrComplete(Path out) {
        if (!Files.exists(out)) return;
        assertThat(Models.checksums(out)).as("a published output is complete").isEqualTo(expected);
        try (ModelWeights w = ModelWeights.open(out)) {
            for (String name : w.names()) assertThat(w.segment(name).byteSize()).isEqualTo(w.info(name).byteSize());
        }
    }

    /** The run after a kill: succeeds, yields the full model and leaves nothing of its own beside it. */
    static void assertNextRunRecovers(Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("--out-shard-size", SHARD));
        args.addAll(List.of(extra));
        Cli.Result r = Cli.merge(config, out, args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Models.checksums(out)).isEqualTo(expected);
        assertThat(Cli.leftovers(out)).isEmpty();
    }

    static int killed;

    @ParameterizedTest(name = "killed at {0}")
    @ValueSource(strings = {"shard-done@1", "shard-done@4", "before-commit", "commit-rename", "commit-done"})
    void killAtNamedPoint(String point) throws Exception {
        Path out = dir.resolve("out");
        Child c = Child.start(List.of("jmerge.test.pause=" + point), Child.mergeArgs(config, out, "--out-shard-size", SHARD));
        c.awaitPause();
        c.kill();
        killed++;
        if (point.equals("commit-done")) assertThat(out).exists();
        else assertThat(out).doesNotExist();
        assertAbsentOrComplete(out);
        if (Files.exists(out)) assertThat(Cli.leftovers(out)).isNotEmpty(); // the journal outlived the kill
        if (Files.exists(out)) assertNextRunRecovers(out, "--overwrite");
        else assertNextRunRecovers(out);
    }

    /** Killed between moving the old output aside and renaming the new one in: the old one comes back. */
    @Test
    void killDuringOverwriteCommitLosesNothing() throws Exception {
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("precious.txt"), "the previous output");
        Child c = Child.start(List.of("jmerge.test.pause=commit-aside"),
                Child.mergeArgs(config, out, "--out-shard-size", SHARD, "--overwrite"));
        c.awaitPause();
        c.kill();
        killed++;
        assertThat(out).doesNotExist();

        // Without --overwrite the restored output is kept and the run refused.
        Cli.Result refused = Cli.merge(config, out, "--out-shard-size", SHARD);
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains("restored " + out, "not empty");
        assertThat(Files.readString(out.resolve("precious.txt"))).isEqualTo("the previous output");
        assertThat(Cli.leftovers(out)).isEmpty();

        assertNextRunRecovers(out, "--overwrite");
    }

    /** Kills after a random delay within the span of a whole run (seeded), then recovers. */
    @Test
    void killAtRandomMoments() throws Exception {
        long t0 = System.nanoTime();
        Child probe = Child.start(List.of(), Child.mergeArgs(config, dir.resolve("timed"), "--out-shard-size", SHARD));
        assertThat(probe.await()).as("%s", probe.err()).isZero();
        long span = (System.nanoTime() - t0) / 1_000_000;
        SplittableRandom rnd = new SplittableRandom(7_2025L);
        int published = 0;
        for (int i = 0; i < 5; i++) {
            Path out = dir.resolve("out" + i);
            long delay = rnd.nextLong(span / 3, span + 1);
            Child c = Child.start(List.of(), Child.mergeArgs(config, out, "--out-shard-size", SHARD));
            Thread.sleep(delay);
            boolean wasAlive = c.alive();
            c.kill();
            if (wasAlive) killed++;
            assertAbsentOrComplete(out);
            if (Files.exists(out)) published++;
            if (Files.exists(out)) assertNextRunRecovers(out, "--overwrite");
            else assertNextRunRecovers(out);
        }
        System.out.printf("random kills: span %d ms, %d published before the kill%n", span, published);
    }

    /** What the cleanup must leave alone: a live run's folder, another output's, names not of our pattern. */
    @Test
    void recoveryRemovesOnlyItsOwnDeadLeftovers() throws Exception {
        Path out = dir.resolve("out");
        Child c = Child.start(List.of("jmerge.test.pause=shard-done@2"), Child.mergeArgs(config, out, "--out-shard-size", SHARD));
        c.awaitPause();
        c.kill();
        killed++;
        List<String> dead = Cli.leftovers(out);
        assertThat(dead).anyMatch(n -> n.endsWith(".journal")).anyMatch(n -> n.matches("\\.out\\.jmerge-tmp-\\d+-[0-9a-f]{8}"));

        String mark = OutputFolder.TEMP_MARK;
        var me = ProcessHandle.current();
        Path live = dir.resolve(".out" + mark + me.pid() + "-0badcafe");
        Files.createDirectories(live);
        Files.writeString(dir.resolve(".out" + mark + me.pid() + "-0badcafe.journal"),
                "jmerge-journal 1\nowner " + me.pid() + " " + me.info().startInstant().orElseThrow().toEpochMilli()
                        + "\nplan x\n");
        Path other = Files.createDirectories(dir.resolve(".other" + mark + "999999-deadbeef"));
        Path unlike = Files.createDirectories(dir.resolve(".out" + mark + "handmade"));
        Path user = Files.createDirectories(dir.resolve("out-backup"));

        Cli.Result r = Cli.merge(config, out, "--out-shard-size", SHARD);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("removed ", "left by an interrupted jmerge (pid " + c.pid() + ")");
        assertThat(Models.checksums(out)).isEqualTo(expected);
        for (String n : dead) assertThat(dir.resolve(n)).doesNotExist();
        assertThat(live).exists();
        assertThat(other).exists();
        assertThat(unlike).exists();
        assertThat(user).exists();
    }
}

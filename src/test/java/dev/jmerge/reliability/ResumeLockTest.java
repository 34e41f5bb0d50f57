package dev.jmerge.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --resume keeps verified shards of a killed run, and a second run on the same output is refused. */
class ResumeLockTest {

    @TempDir
    static Path shared;

    static Path config;
    static Map<String, Long> expected;

    @BeforeAll
    static void models() {
        config = Models.linearSetup(shared, KillTest.SHAPE, 0);
        Path reference = shared.resolve("reference");
        assertThat(Cli.merge(config, reference, "--out-shard-size", KillTest.SHARD).code()).isZero();
        expected = Models.checksums(reference);
    }

    @TempDir
    Path dir;

    static final FileTime MARK = FileTime.from(Instant.parse("2001-02-03T04:05:06Z"));

    /** Runs a child to {@code point} and kills it; returns the temporary folder it left. */
    Path killedAt(Path out, String point, Path cfg) throws Exception {
        Child c = Child.start(List.of("jmerge.test.pause=" + point), Child.mergeArgs(cfg, out, "--out-shard-size", KillTest.SHARD));
        c.awaitPause();
        c.kill();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().startsWith(".out.jmerge-tmp-"))
                    .findFirst().orElseThrow();
        }
    }

    /** Shard files of a folder, each stamped with a date no writer would give it. */
    static Map<String, FileTime> stampShards(Path folder) throws Exception {
        Map<String, FileTime> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(folder)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                Files.setLastModifiedTime(p, MARK);
                m.put(p.getFileName().toString(), MARK);
            }
        }
        return m;
    }

    static List<String> untouched(Path out) throws Exception {
        try (Stream<Path> s = Files.list(out)) {
            return s.filter(p -> {
                try {
                    return Files.getLastModifiedTime(p).equals(MARK);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void resumeKeepsFinishedShardsAndMatchesAnUninterruptedRun() throws Exception {
        Path out = dir.resolve("out");
        Path temp = killedAt(out, "shard-done@3", config);
        stampShards(temp);
        Cli.Result r = Cli.merge(config, out, "--out-shard-size", KillTest.SHARD, "--resume");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("resuming the interrupted merge in " + temp, "kept 3 of 5 shards");
        assertThat(untouched(out)).as("kept shards were not rewritten").containsExactly(
                "model-00001-of-00005.safetensors", "model-00002-of-00005.safetensors", "model-00003-of-00005.safetensors");
        assertThat(Models.checksums(out)).isEqualTo(expected);
        assertThat(Cli.leftovers(out)).isEmpty();
    }

    @Test
    void aShardThatNoLongerMatchesItsChecksumIsWrittenAgain() throws Exception {
        Path out = dir.resolve("out");
        Path temp = killedAt(out, "shard-done@2", config);
        Path first = temp.resolve("model-00001-of-00005.safetensors");
        byte[] b = Files.readAllBytes(first);
        b[b.length - 3] ^= 0x40;
        Files.write(first, b);
        stampShards(temp);
        Cli.Result r = Cli.merge(config, out, "--out-shard-size", KillTest.SHARD, "--resume");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("kept 1 of 5 shards");
        assertThat(untouched(out)).containsExactly("model-00002-of-00005.safetensors");
        assertThat(Models.checksums(out)).isEqualTo(expected);
    }

    @Test
    void killedJustBeforeTheRenameResumesWithEveryShard() throws Exception {
        Path out = dir.resolve("out");
        Path temp = killedAt(out, "before-commit", config);
        stampShards(temp);
        Cli.Result r = Cli.merge(config, out, "--out-shard-size", KillTest.SHARD, "--resume");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("kept 5 of 5 shards");
        assertThat(untouched(out)).hasSize(5);
        assertThat(Models.checksums(out)).isEqualTo(expected);
    }

    @Test
    void aChangedConfigStartsOver() throws Exception {
        Path out = dir.resolve("out");
        Path temp = killedAt(out, "shard-done@2", config);
        Path changed = Models.writeString(dir.resolve("changed.yml"), Files.readString(config).replace("0.6", "0.5"));
        Cli.Result r = Cli.merge(changed, out, "--out-shard-size", KillTest.SHARD, "--resume");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("removed " + temp, "nothing to resume");
        assertThat(Models.checksums(out)).isNotEqualTo(expected);
        assertThat(Cli.leftovers(out)).isEmpty();
        Path fresh = dir.resolve("fresh");
        assertThat(Cli.merge(changed, fresh, "--out-shard-size", KillTest.SHARD).code()).isZero();
        assertThat(Models.checksums(out)).isEqualTo(Models.checksums(fresh));
    }

    @Test
    void aSecondRunOnTheSameOutputIsRefusedNamingTheFirst() throws Exception {
        Path out = dir.resolve("out");
        Child first = Child.start(List.of("jmerge.test.pause=shard-done@1", "jmerge.test.continue=" + dir.resolve("go")),
                Child.mergeArgs(config, out, "--out-shard-size", KillTest.SHARD));
        first.awaitPause();
        List<String> before = Cli.leftovers(out);

        Cli.Result second = Cli.merge(config, out, "--out-shard-size", KillTest.SHARD, "--overwrite");
        assertThat(second.errLines()).as("code %d, leftovers %s, first %s", second.code(), before, first.err()).hasSize(1);
        assertThat(second.errLines().getFirst()).startsWith("error: " + out)
                .contains("another jmerge (pid " + first.pid() + ") is writing this output");
        assertThat(second.code()).isEqualTo(1);
        assertThat(Cli.leftovers(out)).as("the refused run touched nothing").isEqualTo(before);

        Files.createFile(dir.resolve("go"));
        assertThat(first.await()).as("%s", first.err()).isZero();
        assertThat(Models.checksums(out)).isEqualTo(expected);
        assertThat(Cli.leftovers(out)).isEmpty();
    }

    @Test
    void aSecondRunInTheSameProcessIsRefusedToo() throws Exception {
        Path out = dir.resolve("out");
        try (var held = dev.jmerge.output.OutputLock.acquire(out)) {
            Cli.Result r = Cli.merge(config, out, "--out-shard-size", KillTest.SHARD);
            assertThat(r.errLines()).hasSize(1);
            assertThat(r.errLines().getFirst()).contains("another merge in this process (pid " + ProcessHandle.current().pid() + ")");
            assertThat(r.code()).isEqualTo(1);
            assertThat(out).doesNotExist();
        }
        assertThat(Cli.leftovers(out)).isEmpty();
    }
}

package dev.jmerge.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full device or a file size limit ends the merge with one clear line naming the output, exit 1, and the
 * temporary output removed. The size-limited file system is a tmpfs mounted by the test (skipped where
 * mounting is not permitted); the file size limit is {@code ulimit -f} on a child process.
 */
class FullDiskTest {

    @TempDir
    static Path shared;

    static Path config;

    @BeforeAll
    static void models() {
        config = Models.linearSetup(shared, KillTest.SHAPE, 0);
    }

    @TempDir
    Path dir;

    private final List<Path> mounts = new ArrayList<>();

    /** A tmpfs of {@code size} at {@code dir/name}, or the test is skipped. */
    Path smallFileSystem(String name, String size) throws Exception {
        Path mnt = Files.createDirectories(dir.resolve(name));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt.toString())
                .redirectErrorStream(true).start();
        String msg = new String(p.getInputStream().readAllBytes());
        assumeTrue(p.waitFor() == 0, "cannot mount a tmpfs here: " + msg.strip());
        mounts.add(mnt);
        return mnt;
    }

    @AfterEach
    void unmount() throws Exception {
        for (Path m : mounts) new ProcessBuilder("umount", m.toString()).inheritIO().start().waitFor();
    }

    static List<String> errorLines(Child c) {
        return c.err().stream().filter(l -> !l.startsWith("WARNING: Using incubator modules") && !l.startsWith("jmerge: paused at")).toList();
    }

    @Test
    void tooLittleSpaceIsRefusedBeforeWriting() throws Exception {
        Path out = smallFileSystem("small", "1m").resolve("out");
        Cli.Result r = Cli.merge(config, out, "--out-shard-size", KillTest.SHARD);
        Cli.assertRefused(r, 1, out, out + ": no space left on device", "MiB but only");
    }

    /** Space runs out in the middle: another writer fills the device after the first shard. */
    @Test
    void deviceFillingUpDuringTheMergeIsReportedAndCleanedUp() throws Exception {
        Path mnt = smallFileSystem("mid", "24m");
        Path out = mnt.resolve("out");
        Path go = dir.resolve("go");
        Child c = Child.start(List.of("jmerge.test.pause=shard-done@1", "jmerge.test.continue=" + go),
                Child.mergeArgs(config, out, "--out-shard-size", KillTest.SHARD));
        c.awaitPause();
        fill(mnt.resolve("filler"));
        Files.createFile(go);
        int code = c.await();
        List<String> err = errorLines(c);
        assertThat(err).as("stderr").hasSize(1);
        assertThat(err.getFirst()).startsWith("error: " + out + ": no space left on device").doesNotContain("\tat ");
        assertThat(code).isEqualTo(1);
        assertThat(out).doesNotExist();
        assertThat(Cli.leftovers(out)).isEmpty();
    }

    /** Writes until the device says no. */
    static void fill(Path file) throws IOException {
        byte[] mb = new byte[1 << 20];
        try (OutputStream o = Files.newOutputStream(file)) {
            while (true) o.write(mb);
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("No space left");
        }
    }

    @Test
    void fileSizeLimitIsReportedAndCleanedUp() throws Exception {
        Path out = dir.resolve("out");
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "ulimit -f 1024 && exec \"$@\"", "jmerge"));
        cmd.addAll(Child.command(List.of(), Child.mergeArgs(config, out, "--out-shard-size", KillTest.SHARD)));
        Child c = Child.start(cmd);
        int code = c.await();
        List<String> err = errorLines(c);
        assertThat(err).as("stderr").hasSize(1);
        assertThat(err.getFirst()).startsWith("error: " + out + ": the file size limit (ulimit -f) is too small")
                .contains("File too large");
        assertThat(code).isEqualTo(1);
        assertThat(out).doesNotExist();
        assertThat(Cli.leftovers(out)).isEmpty();
    }
}

package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jmerge moe} stopped by SIGINT in the middle of writing: one line, exit 130, nothing left behind. */
class MoeInterruptIT {

    @TempDir
    Path tmp;

    @Test
    void anInterruptedBuildLeavesNothingBehind() throws Exception {
        Path out = tmp.resolve("out");
        Process p = LauncherIT.start(Map.of("JMERGE_JAVA_OPTS", "-Djmerge.test.pause=tensor-done@3"), "moe",
                "examples/moe.yml", out.toString(), "-j", "1");
        var err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        for (String line; (line = err.readLine()) != null; ) {
            if (line.equals("jmerge: paused at tensor-done")) break;
        }
        assertThat(new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor()).isZero();
        String rest = String.join("\n", err.lines().toList());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(130);
        assertThat(rest.strip()).isEqualTo("interrupted: nothing was written to " + out);
        assertThat(out).doesNotExist();
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left).isEmpty();
        }
    }
}

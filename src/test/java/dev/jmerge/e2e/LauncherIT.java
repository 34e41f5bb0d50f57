package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./jmerge} launcher as a user runs it, on the jar that {@code package} built (an integration test:
 * it runs after packaging): stderr carries only jmerge's own lines, never the JVM's incubator notice, and keeps
 * what the JVM says when it cannot start.
 */
class LauncherIT {

    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
        List<String> errLines() { return err.lines().filter(l -> !l.isBlank()).toList(); }
    }

    static Process start(Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("./jmerge"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("JMERGE_JAVA_OPTS");
        pb.environment().putAll(env);
        return pb.start();
    }

    static Result finish(Process p) throws Exception {
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    static Result run(Map<String, String> env, String... args) throws Exception {
        return finish(start(env, args));
    }

    @Test
    void aMergePrintsOnlyItsSummaryLine() throws Exception {
        Path out = tmp.resolve("out");
        Result r = run(Map.of(), "examples/linear.yml", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).singleElement().asString().startsWith("merged ").endsWith(out.toString());
    }

    @Test
    void helpAndUsageErrorsHaveACleanStderr() throws Exception {
        Result version = run(Map.of(), "--version");
        assertThat(version.out().strip()).isEqualTo("jmerge 0.1.0");
        assertThat(version.err()).isEmpty();
        Result usage = run(Map.of(), "examples/linear.yml");
        assertThat(usage.code()).isEqualTo(2);
        assertThat(usage.errLines()).singleElement().asString().startsWith("error: missing OUT_PATH");
    }

    @Test
    void aJvmThatCannotStartStillSaysWhy() throws Exception {
        Result r = run(Map.of("JMERGE_JAVA_OPTS", "-XX:+NoSuchJmergeFlag"), "--version");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("Unrecognized VM option 'NoSuchJmergeFlag'", "Could not create the Java Virtual Machine")
                .doesNotContain("incubator");
    }

    @Test
    void theInterruptLineReachesTheRealStderr() throws Exception {
        Path out = tmp.resolve("out");
        Process p = start(Map.of("JMERGE_JAVA_OPTS", "-Djmerge.test.pause=shard-done@1"), "examples/dare_ties.yml", out.toString(),
                "--out-shard-size", "20K", "--random-seed", "4");
        // the launcher execs the JVM: its pid is the launcher's
        var err = new java.io.BufferedReader(new java.io.InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        for (String line; (line = err.readLine()) != null; ) {
            if (line.equals("jmerge: paused at shard-done")) break;
        }
        assertThat(new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor()).isZero();
        String rest = String.join("\n", err.lines().toList());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(130);
        assertThat(rest.strip()).matches("interrupted: 1 of \\d+ shards of " + java.util.regex.Pattern.quote(out.toString())
                + " are finished and kept; run the same command with --resume to continue");
    }
}

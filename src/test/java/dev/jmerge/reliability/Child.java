package dev.jmerge.reliability;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** The CLI as a separate JVM, built from this test's class path, so that it can be killed for real. */
final class Child {

    private final Process process;
    private final List<String> err = new CopyOnWriteArrayList<>();
    private final CompletableFuture<String> paused = new CompletableFuture<>();
    private final Thread reader;

    private Child(Process process) {
        this.process = process;
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    err.add(line);
                    if (line.startsWith("jmerge: paused at ")) paused.complete(line);
                }
            } catch (IOException e) {
                // the process was killed
            }
            paused.complete(null);
        }, "child-stderr");
        reader.setDaemon(true);
        reader.start();
    }

    /** The java command line for {@code Main} with {@code props} as system properties. */
    static List<String> command(List<String> props, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        for (String p : props) cmd.add("-D" + p);
        cmd.add("dev.jmerge.cli.Main");
        cmd.addAll(args);
        return cmd;
    }

    static Child start(List<String> props, List<String> args) {
        return start(command(props, args));
    }

    static Child start(List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            return new Child(pb.start());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + command.getFirst(), e);
        }
    }

    /** Standard merge arguments, as {@link Cli#merge}. */
    static List<String> mergeArgs(Path config, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of(config.toString(), out.toString(), "--quiet", "--no-copy-tokenizer",
                "--no-write-model-card", "--random-seed", "7", "-j", "2"));
        a.addAll(List.of(extra));
        return a;
    }

    long pid() { return process.pid(); }

    /** Waits for the pause line; fails if the process ends first. */
    void awaitPause() throws Exception {
        String line = paused.get(60, TimeUnit.SECONDS);
        if (line == null) throw new AssertionError("child ended without pausing; stderr: " + err);
    }

    /** SIGKILL, then waits for the process to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("child " + pid() + " survived SIGKILL");
    }

    int await() throws InterruptedException {
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("child did not finish; stderr: " + err);
        }
        reader.join(10_000);
        return process.exitValue();
    }

    boolean alive() { return process.isAlive(); }

    List<String> err() { return List.copyOf(err); }
}

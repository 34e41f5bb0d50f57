package dev.jmerge.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a class's {@code run(String...)} in a child JVM started exactly like this one (same java binary, same
 * JVM flags: the launcher's), under {@link Measured}, and returns what it measured.
 */
final class ChildRun {

    /** @param wallSeconds from process start to exit, JVM start-up included (as for the floor) */
    record Result(int exit, double wallSeconds, double cpuSeconds, long peakRssBytes, String output) {}

    private ChildRun() {}

    static Result run(Path scratch, String mainClass, List<String> args) {
        try {
            Path report = Files.createTempFile(scratch, "measured", ".txt");
            Path log = Files.createTempFile(scratch, "child", ".log");
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.addAll(jvmFlags());
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(Measured.class.getName());
            cmd.add(report.toString());
            cmd.add(mainClass);
            cmd.addAll(args);
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            p.waitFor();
            double wall = (System.nanoTime() - t0) / 1e9;
            String out = Files.readString(log);
            String rep = Files.exists(report) ? Files.readString(report).strip() : "";
            Files.deleteIfExists(report);
            Files.deleteIfExists(log);
            if (rep.isEmpty()) return new Result(p.exitValue(), wall, -1, -1, out);
            return new Result(field(rep, "exit").intValue(), wall, field(rep, "cpu_ms") / 1000.0,
                    field(rep, "vmhwm_kb") * 1024, out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** This JVM's own flags (what the launcher passed), minus agent and debug ones that belong to this process. */
    static List<String> jvmFlags() {
        List<String> flags = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-agentlib") || a.startsWith("-javaagent") || a.startsWith("-XX:StartFlightRecording")) {
                continue;
            }
            flags.add(a);
        }
        return flags;
    }

    private static Long field(String report, String key) {
        for (String kv : report.split("\\s+")) {
            if (kv.startsWith(key + "=")) return Long.parseLong(kv.substring(key.length() + 1));
        }
        throw new IllegalStateException("child report lacks " + key + ": " + report);
    }
}

package dev.jmerge.bench;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * Child-process entry point of the benchmark: {@code Measured REPORT_FILE MAIN_CLASS ARGS...} runs
 * {@code MAIN_CLASS.run(String...)} (an int exit code, like the CLI's {@code Main.run}), then writes this
 * process's own peak resident set (VmHWM, which counts touched file-backed mapped pages) and CPU time, so the
 * parent needs no polling that could miss the last milliseconds.
 */
public final class Measured {

    private Measured() {}

    public static void main(String[] args) throws Exception {
        Path report = Path.of(args[0]);
        int code;
        try {
            Object r = Class.forName(args[1]).getMethod("run", String[].class)
                    .invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
            code = r instanceof Integer i ? i : 0;
        } catch (InvocationTargetException e) {
            e.getCause().printStackTrace();
            code = 1;
        }
        Files.writeString(report, String.format(Locale.ROOT, "exit=%d vmhwm_kb=%d cpu_ms=%d%n", code, vmHwmKb(),
                ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO).toMillis()));
        System.exit(code);
    }

    /** Peak resident set size of this process in KiB, from /proc/self/status; -1 where there is no /proc. */
    static long vmHwmKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}

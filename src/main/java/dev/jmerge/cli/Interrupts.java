package dev.jmerge.cli;

import java.io.PrintWriter;
import java.util.function.Supplier;

/**
 * SIGINT (Ctrl-C) and SIGTERM: the JVM runs its shutdown hooks, and this one asks the command in progress to
 * stop (workers stopped, finished shards and their journal kept for --resume) and prints the one line it
 * returns: how to continue, or that nothing was written. The JVM then exits with 128 + the signal number.
 * One hook serves the whole process; a command registers itself with {@link #watch} for as long as it runs.
 */
final class Interrupts {

    /** A command in progress: what to do when the process is told to stop, and where to say so. */
    private record Watch(PrintWriter err, Supplier<String> onInterrupt) {}

    private static volatile Watch current;
    private static volatile boolean underway;
    private static boolean hooked;

    private Interrupts() {}

    /**
     * Registers {@code onInterrupt} until the returned handle is closed. It runs on the hook's thread while the
     * command's own threads still run, and returns the line to print (null for none).
     */
    static synchronized AutoCloseable watch(PrintWriter err, Supplier<String> onInterrupt) {
        if (!hooked) {
            Runtime.getRuntime().addShutdownHook(new Thread(Interrupts::stop, "jmerge-interrupt"));
            hooked = true;
        }
        Watch w = new Watch(err, onInterrupt);
        current = w;
        return () -> {
            synchronized (Interrupts.class) {
                if (current == w) current = null;
            }
        };
    }

    /** True once the process is shutting down: failures caused by the stop are not reported as errors. */
    static boolean underway() { return underway; }

    private static void stop() {
        Watch w = current;
        if (w == null) return;
        underway = true;
        String line;
        try {
            line = w.onInterrupt().get();
        } catch (RuntimeException e) {
            line = "interrupted (" + e.getMessage() + ")";
        }
        if (line != null) {
            w.err().println(line);
            w.err().flush();
        }
    }
}

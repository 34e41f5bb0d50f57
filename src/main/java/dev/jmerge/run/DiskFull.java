package dev.jmerge.run;

import dev.jmerge.error.JmergeException;
import dev.jmerge.error.MergeException;
import dev.jmerge.error.OutputWriteException;
import dev.jmerge.output.OutputFolder;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Turns the ways a full file system shows itself into one line naming the output. A failed write is told apart by
 * what can be measured, not by the system's words (which depend on the platform and its language): the file
 * system has no room left, or the write reached past the process's file size limit ({@code ulimit -f}).
 */
public final class DiskFull {

    /** Below this much room, a failed write is taken for a full device. */
    private static final long NEARLY_FULL = 1L << 20;
    private static final int RLIMIT_FSIZE = 1; // Linux
    private static final MethodHandle GETRLIMIT = lookup();

    private DiskFull() {}

    /** Refuses to start when the file system under the output cannot hold {@code bytes} more. */
    public static void checkSpace(OutputFolder folder, long bytes) {
        long free;
        try {
            free = Files.getFileStore(folder.temp()).getUsableSpace();
        } catch (IOException e) {
            return; // unknown: the writes themselves will tell
        }
        if (free < bytes) {
            throw new MergeException(folder.target() + ": no space left on device: the merge writes "
                    + mib(bytes) + " but only " + mib(free) + " are free there");
        }
    }

    /** The same failure, reworded when it is a write that the device or the file size limit refused. */
    public static JmergeException explain(JmergeException e, Path target) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (!(t instanceof OutputWriteException w)) continue;
            OptionalLong limit = fileSizeLimit();
            if (w.reach() > 0 && limit.isPresent() && w.reach() > limit.getAsLong()) {
                return new MergeException(target + ": the file size limit (ulimit -f) is too small for the output ("
                        + e.getMessage() + ")", e);
            }
            if (usableSpace(w.file() != null ? w.file() : target) < NEARLY_FULL) {
                return new MergeException(target + ": no space left on device while writing (" + e.getMessage()
                        + ")", e);
            }
        }
        return e;
    }

    private static long usableSpace(Path file) {
        try {
            Path at = Files.exists(file) ? file : file.getParent();
            return Files.getFileStore(at).getUsableSpace();
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE; // unknown: not taken for a full device
        }
    }

    /** The soft limit on the size of files this process writes, in bytes; empty when unlimited or unknown. */
    static OptionalLong fileSizeLimit() {
        if (GETRLIMIT == null) return OptionalLong.empty();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlimit = arena.allocate(2 * Long.BYTES, Long.BYTES);
            int rc = (int) GETRLIMIT.invokeExact(RLIMIT_FSIZE, rlimit);
            long current = rlimit.get(ValueLayout.JAVA_LONG, 0);
            return rc == 0 && current != -1 ? OptionalLong.of(current) : OptionalLong.empty(); // -1: RLIM_INFINITY
        } catch (Throwable e) {
            return OptionalLong.empty();
        }
    }

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("getrlimit").map(addr -> linker.downcallHandle(addr,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS))).orElse(null);
        } catch (Throwable e) {
            return null;
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}

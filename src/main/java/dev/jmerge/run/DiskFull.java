package dev.jmerge.run;

import dev.jmerge.error.JmergeException;
import dev.jmerge.error.MergeException;
import dev.jmerge.output.OutputFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Turns the ways a full file system shows itself into one "no space left on device" line naming the output. */
public final class DiskFull {

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

    /** The same failure, reworded when its cause chain says the device is full. */
    public static JmergeException explain(JmergeException e, Path target) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("no space left") || m.contains("disk quota")) {
                return new MergeException(target + ": no space left on device while writing (" + e.getMessage()
                        + ")", e);
            }
            if (m.contains("file too large")) {
                return new MergeException(target + ": the file size limit (ulimit -f) is too small for the output ("
                        + e.getMessage() + ")", e);
            }
        }
        return e;
    }

    static boolean isMappedWriteFault(InternalError e) {
        return String.valueOf(e.getMessage()).contains("unsafe memory access");
    }

    static MergeException fromMappedWrite(InternalError e, Path target) {
        return new MergeException(target + ": no space left on device: a write to the output failed ("
                + e.getMessage() + ")", e);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}

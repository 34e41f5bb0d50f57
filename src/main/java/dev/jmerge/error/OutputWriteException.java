package dev.jmerge.error;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writing an output file failed. Besides the one-line message it keeps what a caller needs to tell why without
 * reading the system's words: the file, and how far into it the failed write reached.
 */
public final class OutputWriteException extends MergeException {

    private final transient Path file;
    private final long reach;

    /**
     * @param file the file written, or null when only its folder is known (one inside the output being written)
     * @param reach the file size the write would have needed, or -1 when it is not one write (a flush, a close)
     */
    public OutputWriteException(Path file, long reach, String message, IOException cause) {
        super(message, cause);
        this.file = file;
        this.reach = reach;
    }

    public Path file() { return file; }

    public long reach() { return reach; }
}

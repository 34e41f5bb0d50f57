package dev.jmerge.exec;

import dev.jmerge.error.MergeException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The input shard files of a run, each opened once for positional reads shared by all workers. Reading with
 * {@code pread} into small reused buffers keeps input bytes out of the process's resident set: touched pages
 * of a mapping stay resident until unmapped, which for a 4 GB merge is 4 GB of RSS (see docs/design.md).
 */
public final class InputFiles implements AutoCloseable {

    private final Map<Path, FileChannel> open = new ConcurrentHashMap<>();

    /** The file opened for reading, once, shared by every caller. */
    public FileChannel channel(Path file) {
        return open.computeIfAbsent(file, f -> {
            try {
                return FileChannel.open(f, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new MergeException(f + ": cannot open for reading (" + e + ")", e);
            }
        });
    }

    @Override
    public void close() {
        for (FileChannel c : open.values()) {
            try {
                c.close();
            } catch (IOException ignored) {
                // read-only: nothing is lost by a failed close
            }
        }
        open.clear();
    }
}

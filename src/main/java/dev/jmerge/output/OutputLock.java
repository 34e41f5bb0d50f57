package dev.jmerge.output;

import dev.jmerge.error.MergeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * One jmerge at a time per output path: an OS file lock on {@code .<name>.jmerge-lock} beside the output,
 * holding the owner's pid so that a refused run can name it. The OS drops the lock when its process dies,
 * however it dies, so a killed run never blocks the next one.
 */
public final class OutputLock implements AutoCloseable {

    static final String SUFFIX = ".jmerge-lock";

    private static final java.util.concurrent.ConcurrentHashMap<Path, Boolean> HELD =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private OutputLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock file guarding {@code target}. */
    public static Path fileFor(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        return abs.resolveSibling("." + abs.getFileName() + SUFFIX);
    }

    /** Takes the lock for {@code target} or throws naming the process that holds it. */
    public static OutputLock acquire(Path target) {
        Path file = fileFor(target);
        // Within one JVM the OS lock cannot tell runs apart, and opening the file again would drop it.
        if (HELD.putIfAbsent(file, Boolean.TRUE) != null) {
            throw new MergeException(target.toAbsolutePath().normalize() + ": another merge in this process (pid "
                    + ProcessHandle.current().pid() + ") is writing this output");
        }
        try {
            return lock(target, file);
        } catch (RuntimeException e) {
            HELD.remove(file);
            throw e;
        }
    }

    private static OutputLock lock(Path target, Path file) {
        try {
            Files.createDirectories(file.getParent());
            // A holder deletes the file on release, possibly just after we opened it; then our lock would guard
            // a deleted file, so the path must name the same file (by inode, from stat) before and after.
            // Never open the file a second time: closing any descriptor drops this process's POSIX locks on it.
            for (int attempt = 0; attempt < 5; attempt++) {
                Object before = fileKey(file);
                FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                Object opened = fileKey(file);
                if (opened == null || (before != null && !before.equals(opened))) {
                    ch.close();
                    continue;
                }
                FileLock lock;
                try {
                    lock = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null;
                }
                if (lock == null) {
                    String owner = readOwner(ch);
                    ch.close();
                    throw new MergeException(target.toAbsolutePath().normalize() + ": another jmerge (pid "
                            + owner + ") is writing this output; wait for it to finish or stop it (lock "
                            + file + ")");
                }
                byte[] pid = Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.US_ASCII);
                ch.truncate(0);
                ch.write(ByteBuffer.wrap(pid), 0);
                if (opened.equals(fileKey(file))) return new OutputLock(file, ch, lock);
                ch.close();
            }
            throw new MergeException(file + ": lock file keeps changing; another jmerge is starting on the same output");
        } catch (IOException e) {
            throw new MergeException(file + ": cannot create the output lock (" + e.getMessage() + ")");
        }
    }

    /** The file's identity (device and inode), or null when the path names nothing. */
    private static Object fileKey(Path file) throws IOException {
        try {
            Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
            return key != null ? key : "no file keys on this file system";
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static String readOwner(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(32);
        ch.read(b, 0);
        String s = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
        return s.matches("\\d{1,19}") ? s : "unknown";
    }

    /** Deletes the lock file, then releases it; the file never outlives a clean run. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // A leftover lock file is harmless: nobody holds it, and it carries no state.
        }
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // Closing the channel releases the lock in any case.
        } finally {
            HELD.remove(file);
        }
    }
}

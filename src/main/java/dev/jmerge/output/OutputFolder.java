package dev.jmerge.output;

import dev.jmerge.error.ConfigException;
import dev.jmerge.error.MergeException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The output appears whole or not at all: everything is written into a temporary folder beside the target,
 * whose name says it is ours, and one rename publishes it. An existing non-empty target is refused unless
 * overwriting was asked for; then it is moved aside and removed only after the new folder is in place.
 */
public final class OutputFolder {

    /** Marker in temporary folder names; a later run recognises (and may remove) folders carrying it. */
    public static final String TEMP_MARK = ".jmerge-tmp-";

    private final Path target;
    private final Path temp;
    private boolean committed;

    private OutputFolder(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
    }

    public static OutputFolder prepare(Path target, boolean overwrite) {
        Path abs = target.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new ConfigException(abs + ": output path exists and is not a folder");
            }
            if (!isEmpty(abs) && !overwrite) {
                throw new ConfigException(abs + ": output folder exists and is not empty; pass --overwrite to"
                        + " replace it");
            }
        }
        Path parent = abs.getParent();
        try {
            Files.createDirectories(parent);
            Path temp = Files.createTempDirectory(parent, "." + abs.getFileName() + TEMP_MARK);
            // Temporary folders are private; the published model gets the usual permissions.
            try {
                Files.setPosixFilePermissions(temp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep the default
            }
            return new OutputFolder(abs, temp);
        } catch (IOException e) {
            throw new MergeException(parent + ": cannot create the temporary output folder (" + e.getMessage() + ")");
        }
    }

    private static boolean isEmpty(Path dir) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            return !s.iterator().hasNext();
        } catch (IOException e) {
            throw new MergeException(dir + ": cannot list (" + e.getMessage() + ")");
        }
    }

    /** Where files are written until {@link #commit()}. */
    public Path temp() { return temp; }

    public Path target() { return target; }

    /** Publishes the temporary folder as the target with one rename. */
    public void commit() {
        try {
            Path aside = null;
            if (Files.exists(target)) {
                aside = target.resolveSibling("." + target.getFileName() + TEMP_MARK + "old-" + ProcessHandle.current().pid());
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new MergeException(target + ": cannot rename the finished output into place atomically");
            }
            committed = true;
            if (aside != null) deleteTree(aside);
        } catch (IOException e) {
            throw new MergeException(target + ": cannot move the finished output into place (" + e.getMessage() + ")");
        }
    }

    /** Removes the temporary folder unless it was committed. */
    public void abort() {
        if (!committed) deleteTree(temp);
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) return;
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // Best effort: a leftover temporary folder is recognisable by its name and harmless.
        }
    }
}

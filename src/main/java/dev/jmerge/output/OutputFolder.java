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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The output appears whole or not at all. Under a lock on the target ({@link OutputLock}), everything is
 * written into a temporary folder beside it and one rename publishes it. Beside the target live only:
 * <pre>
 *   .NAME.jmerge-tmp-ID           the folder being filled
 *   .NAME.jmerge-tmp-ID.journal   its owner (pid), plan fingerprint and finished shards ({@link Journal})
 *   .NAME.jmerge-tmp-ID.old       the previous output while an --overwrite commit swaps it out
 * </pre>
 * The journal is written before the folder exists and removed after the rename, so a run killed at any
 * moment leaves nothing a later run cannot recognise. A later run removes what dead owners left, puts back
 * a previous output that a killed commit had moved aside, or with {@code resume} adopts the folder of a
 * run of the same plan. An existing non-empty target is refused unless overwriting was asked for.
 */
public final class OutputFolder implements AutoCloseable {

    /** Marker in temporary names; a later run recognises (and may remove) what carries it and its target name. */
    public static final String TEMP_MARK = ".jmerge-tmp-";

    private static final String JOURNAL = ".journal";
    private static final String ASIDE = ".old";

    private final Path target;
    private final Path temp;
    private final OutputLock lock;
    private Journal journal;
    private final boolean resumed;
    private boolean committed;
    private boolean interrupted;
    private boolean unlocked;

    private OutputFolder(Path target, Path temp, OutputLock lock, Journal journal, boolean resumed) {
        this.target = target;
        this.temp = temp;
        this.lock = lock;
        this.journal = journal;
        this.resumed = resumed;
    }

    /** A fresh temporary folder, no resuming; the plan fingerprint is left empty. */
    public static OutputFolder prepare(Path target, boolean overwrite) {
        return prepare(target, overwrite, "none", null, false, s -> {});
    }

    /**
     * Locks {@code target}, clears what killed runs left beside it, and returns the folder to write into: a
     * fresh one, or with {@code resume} the folder of an earlier run whose journal carries the same
     * {@code planFingerprint}.
     *
     * @param seed  recorded in the journal when the plan draws random numbers (null otherwise), for --resume
     * @param notes receives one line per thing done to earlier runs' leftovers
     */
    public static OutputFolder prepare(Path target, boolean overwrite, String planFingerprint, Long seed,
                                       boolean resume, Consumer<String> notes) {
        Path abs = target.toAbsolutePath().normalize();
        if (abs.getParent() == null) throw new ConfigException(abs + ": cannot write a model to the root folder");
        OutputLock lock = OutputLock.acquire(abs);
        try {
            Leftovers left = clearLeftovers(abs, planFingerprint, resume, notes);
            Leftover adopted = left.adopted();
            checkTarget(abs, overwrite);
            if (adopted != null) {
                notes.accept("resuming the interrupted merge in " + adopted.folder);
                return new OutputFolder(abs, adopted.folder, lock, adopted.journal.adopt(), true);
            }
            String id = ProcessHandle.current().pid() + "-"
                    + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
            Path temp = prefix(abs).resolveSibling(prefix(abs).getFileName() + id);
            Journal journal = Journal.create(sibling(temp, JOURNAL), planFingerprint, seed);
            try {
                Files.createDirectory(temp);
            } catch (IOException e) {
                journal.delete();
                throw e;
            }
            if (resume) {
                notes.accept("nothing to resume for " + abs + (left.otherPlan() ? " (the interrupted merge was of"
                        + " another config, other inputs or another seed)" : "") + "; starting from the beginning");
            }
            return new OutputFolder(abs, temp, lock, journal, false);
        } catch (IOException e) {
            lock.close();
            throw new MergeException(abs.getParent() + ": cannot create the temporary output folder ("
                    + e.getMessage() + ")");
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static void checkTarget(Path abs, boolean overwrite) {
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new ConfigException(abs + ": output path exists and is not a folder");
            }
            if (!isEmpty(abs) && !overwrite) {
                throw new ConfigException(abs + ": output folder exists and is not empty; pass --overwrite to"
                        + " replace it");
            }
        }
    }

    /** {@code /dir/.NAME.jmerge-tmp-}: what every leftover of this target starts with. */
    private static Path prefix(Path target) {
        return target.resolveSibling("." + target.getFileName() + TEMP_MARK);
    }

    private static Path sibling(Path temp, String suffix) {
        return temp.resolveSibling(temp.getFileName() + suffix);
    }

    private record Leftover(Path folder, Journal journal) {}

    /** @param otherPlan an interrupted run was found whose plan differs from this one */
    private record Leftovers(Leftover adopted, boolean otherPlan) {}

    /**
     * The seed recorded by an interrupted run into {@code target} (its owner gone), if that run drew random
     * numbers: {@code --resume} without {@code --random-seed} uses it, so the plan matches and its shards are kept.
     */
    public static java.util.Optional<Long> interruptedSeed(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        if (abs.getParent() == null || !Files.isDirectory(abs.getParent())) return java.util.Optional.empty();
        String start = prefix(abs).getFileName().toString();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(abs.getParent(),
                p -> p.getFileName().toString().startsWith(start) && p.getFileName().toString().endsWith(JOURNAL))) {
            for (Path p : s) {
                Journal j = Journal.read(p);
                if (j != null && j.seed() != null && !j.owner().alive()) return java.util.Optional.of(j.seed());
            }
        } catch (IOException e) {
            // unreadable: nothing to resume from
        }
        return java.util.Optional.empty();
    }

    /**
     * Everything beside {@code target} named for it, grouped by run id; runs whose owner still lives are left
     * alone (under the lock that is only ever a jmerge without one), the rest are removed, restored or adopted.
     */
    private static Leftovers clearLeftovers(Path target, String plan, boolean resume, Consumer<String> notes)
            throws IOException {
        String start = prefix(target).getFileName().toString();
        Map<String, List<Path>> byId = new TreeMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(target.getParent(), p -> {
            String n = p.getFileName().toString();
            return n.startsWith(start) && n.length() > start.length();
        })) {
            for (Path p : s) {
                String rest = p.getFileName().toString().substring(start.length());
                int dot = rest.indexOf('.');
                String id = dot < 0 ? rest : rest.substring(0, dot);
                if (id.matches("\\d+-[0-9a-f]{8}")) byId.computeIfAbsent(id, k -> new ArrayList<>()).add(p);
            }
        }
        Leftover adopted = null;
        boolean otherPlan = false;
        for (String id : byId.keySet()) {
            Path folder = prefix(target).resolveSibling(start + id);
            Journal journal = Journal.read(sibling(folder, JOURNAL));
            if (journal != null && journal.owner().alive()) continue;
            Path aside = sibling(folder, ASIDE);
            if (Files.isDirectory(aside)) {
                if (!Files.exists(target)) {
                    Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE);
                    notes.accept("restored " + target + ", which an interrupted --overwrite had moved aside");
                } else {
                    deleteTree(aside);
                }
            }
            boolean usable = resume && adopted == null && journal != null && journal.plan().equals(plan)
                    && Files.isDirectory(folder);
            if (usable) {
                adopted = new Leftover(folder, journal);
                continue;
            }
            otherPlan |= journal != null && !journal.plan().equals(plan) && Files.isDirectory(folder);
            if (Files.exists(folder)) {
                deleteTree(folder);
                notes.accept("removed " + folder + ", left by an interrupted jmerge"
                        + (journal != null ? " (pid " + journal.owner().pid() + ")" : ""));
            }
            Files.deleteIfExists(sibling(folder, JOURNAL + ".new"));
            Files.deleteIfExists(sibling(folder, JOURNAL));
        }
        return new Leftovers(adopted, otherPlan);
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

    /** Whether {@link #temp()} is an earlier run's folder taken over by {@code resume}. */
    public boolean resumed() { return resumed; }

    /**
     * Of the shards the adopted journal lists, those whose file still has the recorded size and checksum
     * (name to bytes); the others are forgotten, to be written again. Empty for a fresh folder.
     */
    public Map<String, Long> verifiedShards(Set<String> expected) {
        Map<String, Long> ok = new TreeMap<>();
        for (Journal.Shard s : journal.shards()) {
            if (expected.contains(s.fileName()) && Journal.verify(temp, s)) ok.put(s.fileName(), s.bytes());
        }
        if (ok.size() != journal.shards().size()) journal.retain(new HashSet<>(ok.keySet()));
        return ok;
    }

    /** Records a finished, flushed shard file of {@link #temp()} with its checksum. */
    public synchronized void shardFinished(String fileName) {
        if (interrupted) return;
        journal.record(temp, fileName);
    }

    /**
     * First step of stopping for a signal, before the workers are stopped: from now on {@link #commit()},
     * {@link #abort()} and {@link #shardFinished} do nothing, so a failure the stop causes removes nothing.
     */
    public synchronized void interrupt() {
        if (!committed) interrupted = true;
    }

    /**
     * For an interrupted run (a signal): keeps the finished shards and the journal so that {@code --resume} can
     * continue, removes every file the journal does not list (shards cut short), and makes {@link #commit()} and
     * {@link #abort()} do nothing from now on. With no finished shard, everything is removed. The lock is
     * released: the process is about to end.
     *
     * @return the number of finished shards kept; -1 when the output was already published
     */
    public synchronized int keepForResume() {
        if (committed) return -1;
        interrupt();
        Set<String> finished = new HashSet<>();
        for (Journal.Shard s : journal.shards()) finished.add(s.fileName());
        try {
            if (finished.isEmpty()) {
                deleteTree(temp);
                journal.delete();
                return 0;
            }
            try (DirectoryStream<Path> s = Files.newDirectoryStream(temp)) {
                for (Path p : s) if (!finished.contains(p.getFileName().toString())) deleteTree(p);
            } catch (IOException e) {
                // what is left is recognised by its name and cleared or resumed by the next run
            }
            return finished.size();
        } finally {
            unlocked = true;
            lock.close();
        }
    }

    /** Publishes the temporary folder as the target with one rename, then drops the journal. */
    public synchronized void commit() {
        if (interrupted) throw new MergeException(target + ": interrupted before the output was published");
        try {
            Path aside = null;
            if (Files.exists(target)) {
                aside = sibling(temp, ASIDE);
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
                PausePoint.reach("commit-aside");
            }
            PausePoint.reach("commit-rename");
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new MergeException(target + ": cannot rename the finished output into place atomically");
            }
            committed = true;
            PausePoint.reach("commit-done");
            if (aside != null) deleteTree(aside);
            journal.delete();
        } catch (IOException e) {
            throw new MergeException(target + ": cannot move the finished output into place (" + e.getMessage() + ")");
        }
    }

    /** Removes the temporary folder and its journal unless committed or kept for --resume. */
    public synchronized void abort() {
        if (committed || interrupted) return;
        deleteTree(temp);
        journal.delete();
    }

    /** Aborts unless committed, then releases the lock. */
    @Override
    public synchronized void close() {
        try {
            abort();
        } finally {
            if (!unlocked) lock.close();
            unlocked = true;
        }
    }

    /** Removes a file or folder tree, best effort. */
    public static void deleteTree(Path root) {
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

package dev.jmerge.output;

import dev.jmerge.error.MergeException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * What a merge in progress has durably finished: its owner process, a fingerprint of the plan (config,
 * inputs, seed, layout) and every completed shard file with its size and CRC32C. Kept beside the temporary
 * folder, never inside it, so the published folder holds only the model. Every update replaces the whole
 * file through a rename, so a kill leaves either the old or the new journal, never a torn one.
 *
 * <p>Format, one record a line: {@code jmerge-journal 1}, {@code owner PID START_MILLIS}, {@code plan HEX},
 * {@code seed N} when the run drew random numbers (so that {@code --resume} can use the same seed), then
 * {@code shard FILE BYTES CRC32C_HEX} per finished shard.
 */
public final class Journal {

    private static final String MAGIC = "jmerge-journal 1";

    /** A finished shard as it was when recorded. */
    public record Shard(String fileName, long bytes, int crc32c) {}

    private final Path file;
    private final Owner owner;
    private final String plan;
    private final Long seed;
    private final Map<String, Shard> shards;

    private Journal(Path file, Owner owner, String plan, Long seed, Map<String, Shard> shards) {
        this.file = file;
        this.owner = owner;
        this.plan = plan;
        this.seed = seed;
        this.shards = new LinkedHashMap<>(shards);
    }

    /** The process that wrote a journal, with its start time so that a recycled pid is not mistaken for it. */
    public record Owner(long pid, long startMillis) {

        public static Owner current() {
            ProcessHandle me = ProcessHandle.current();
            return new Owner(me.pid(), me.info().startInstant().map(i -> i.toEpochMilli()).orElse(-1L));
        }

        /** Whether that very process still runs (a different process with the same pid does not count). */
        public boolean alive() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .map(h -> startMillis < 0 || h.info().startInstant().map(i -> i.toEpochMilli())
                            .map(s -> s == startMillis).orElse(true))
                    .orElse(false);
        }
    }

    /** A fresh journal owned by this process, written to disk before anything it describes exists. */
    static Journal create(Path file, String planFingerprint, Long seed) {
        Journal j = new Journal(file, Owner.current(), planFingerprint, seed, Map.of());
        j.save();
        return j;
    }

    /** Reads a journal; null when it is missing or not one of ours (then nothing it names is trusted). */
    static Journal read(Path file) {
        List<String> lines;
        try {
            if (Files.size(file) > (1 << 20)) return null;
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (lines.size() < 3 || !lines.get(0).equals(MAGIC)) return null;
        try {
            String[] o = lines.get(1).split(" ");
            if (o.length != 3 || !o[0].equals("owner")) return null;
            Owner owner = new Owner(Long.parseLong(o[1]), Long.parseLong(o[2]));
            String[] p = lines.get(2).split(" ");
            if (p.length != 2 || !p[0].equals("plan")) return null;
            int next = 3;
            Long seed = null;
            if (lines.size() > 3 && lines.get(3).startsWith("seed ")) {
                seed = Long.parseLong(lines.get(3).substring(5));
                next = 4;
            }
            Map<String, Shard> shards = new LinkedHashMap<>();
            for (String line : lines.subList(next, lines.size())) {
                String[] s = line.split(" ");
                if (s.length != 4 || !s[0].equals("shard") || s[1].contains("/")) return null;
                shards.put(s[1], new Shard(s[1], Long.parseLong(s[2]), Integer.parseUnsignedInt(s[3], 16)));
            }
            return new Journal(file, owner, p[1], seed, shards);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public Owner owner() { return owner; }

    public String plan() { return plan; }

    /** The seed of the run that wrote it, or null when its methods drew no random numbers. */
    public Long seed() { return seed; }

    public List<Shard> shards() { return List.copyOf(shards.values()); }

    /** Takes the journal over for this process (a resumed run). */
    Journal adopt() {
        Journal j = new Journal(file, Owner.current(), plan, seed, shards);
        j.save();
        return j;
    }

    /** Keeps only the named shards (the ones that passed verification). */
    void retain(java.util.Set<String> names) {
        shards.keySet().retainAll(names);
        save();
    }

    /** Checksums {@code folder/fileName} (already flushed to disk) and records it as finished. */
    void record(Path folder, String fileName) {
        Path f = folder.resolve(fileName);
        try {
            shards.put(fileName, new Shard(fileName, Files.size(f), crc32c(f)));
        } catch (IOException e) {
            throw new MergeException(f + ": cannot read back the finished shard (" + e.getMessage() + ")");
        }
        save();
    }

    /** Whether {@code folder/shard.fileName()} still has the recorded size and checksum. */
    static boolean verify(Path folder, Shard shard) {
        Path f = folder.resolve(shard.fileName());
        try {
            return Files.isRegularFile(f) && Files.size(f) == shard.bytes() && crc32c(f) == shard.crc32c();
        } catch (IOException e) {
            return false;
        }
    }

    static int crc32c(Path f) throws IOException {
        CRC32C crc = new CRC32C();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; ) crc.update(buf, 0, n);
        }
        return (int) crc.getValue();
    }

    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // A stale journal is recognised by its name and owner and removed by the next run.
        }
    }

    private void save() {
        List<String> lines = new ArrayList<>();
        lines.add(MAGIC);
        lines.add("owner " + owner.pid() + " " + owner.startMillis());
        lines.add("plan " + plan);
        if (seed != null) lines.add("seed " + seed);
        for (Shard s : shards.values()) {
            lines.add("shard " + s.fileName() + " " + s.bytes() + " " + Integer.toHexString(s.crc32c()));
        }
        byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new MergeException(file + ": cannot write the merge journal (" + e.getMessage() + ")");
        }
    }
}

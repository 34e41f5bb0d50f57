package dev.jmerge.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;

/**
 * Puts the page cache in the same state before every measured run, merge or floor: either cold (dirty data
 * synced, then the cache dropped, which needs root) or warm (dirty data synced, then every input read once so
 * it is cached). Cold measures the disk; warm measures the engine on a machine with RAM for its inputs.
 */
final class PageCache {

    private static final Path DROP = Path.of("/proc/sys/vm/drop_caches");

    private final boolean cold;

    private PageCache(boolean cold) { this.cold = cold; }

    static PageCache choose(String mode, Consumer<String> log) {
        return switch (mode) {
            case "cold" -> {
                if (!canDrop()) throw new IllegalArgumentException("--cache cold needs write access to " + DROP);
                yield new PageCache(true);
            }
            case "warm" -> new PageCache(false);
            case "auto" -> {
                boolean c = canDrop();
                if (!c) log.accept("cannot drop the page cache (needs root): measuring with warm caches");
                yield new PageCache(c);
            }
            default -> throw new IllegalArgumentException("--cache: expected cold, warm or auto, got " + mode);
        };
    }

    String description() {
        return cold ? "cold: synced and page cache dropped before each run"
                : "warm: synced and inputs read into the page cache before each run";
    }

    boolean cold() { return cold; }

    void prepare(List<String> inputs) {
        sync();
        if (cold) {
            drop();
            return;
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
        for (String f : inputs) {
            try (FileChannel c = FileChannel.open(Path.of(f), StandardOpenOption.READ)) {
                long pos = 0;
                int n;
                while ((n = c.read(buf.clear(), pos)) > 0) pos += n;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private static boolean canDrop() {
        if (!Files.isWritable(DROP)) return false;
        try {
            sync();
            drop();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void drop() {
        try {
            Files.writeString(DROP, "3\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void sync() {
        try {
            new ProcessBuilder("sync").inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The 1, 5 and 15 minute load averages, as uptime prints them. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}

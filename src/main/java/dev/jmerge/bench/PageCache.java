package dev.jmerge.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /**
     * The page cache states to measure in, in order: {@code cold}, {@code warm}, {@code both} (a cold table,
     * then a warm one), or {@code auto}: both where the cache can be dropped, else warm.
     */
    static List<PageCache> choose(String mode, Consumer<String> log) {
        return switch (mode) {
            case "cold" -> {
                if (!canDrop()) throw new IllegalArgumentException("--cache cold needs write access to " + DROP);
                yield List.of(new PageCache(true));
            }
            case "warm" -> List.of(new PageCache(false));
            case "both" -> {
                if (!canDrop()) throw new IllegalArgumentException("--cache both needs write access to " + DROP);
                yield List.of(new PageCache(true), new PageCache(false));
            }
            case "auto" -> {
                if (canDrop()) yield List.of(new PageCache(true), new PageCache(false));
                log.accept("cannot drop the page cache (needs root): measuring with warm caches only");
                yield List.of(new PageCache(false));
            }
            default -> throw new IllegalArgumentException("--cache: expected cold, warm, both or auto, got " + mode);
        };
    }

    /** The short name of the state, for table headings and JSON keys. */
    String name() { return cold ? "cold" : "warm"; }

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
        for (String f : inputs) IoFloor.readAll(Path.of(f));
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

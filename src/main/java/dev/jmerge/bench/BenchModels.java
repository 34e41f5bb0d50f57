package dev.jmerge.bench;

import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's models: a base and three fine-tunes of one shape, generated once per shape into their own
 * folder and reused while the marker file says they are complete. Generation is deterministic, so a reused
 * set is the same bytes a fresh one would be.
 */
public final class BenchModels {

    public static final long SEED = 4242L;
    public static final List<String> NAMES = List.of("base", "ft1", "ft2", "ft3");
    /** Fine-tune perturbation relative to the base's spread: a few percent, like real fine-tunes. */
    static final double SCALE = 0.05;
    private static final String MARKER = ".complete";

    private BenchModels() {}

    /** The safetensors files of the named models in {@code models}, absolute, sorted per model. */
    static List<String> weightFiles(Path models, List<String> names) throws IOException {
        List<String> files = new ArrayList<>();
        for (String name : names) {
            try (java.util.stream.Stream<Path> s = Files.list(models.resolve(name))) {
                s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted()
                        .forEach(p -> files.add(p.toAbsolutePath().toString()));
            }
        }
        return files;
    }

    /** Tensor bytes of a safetensors file: its size less the 8-byte length and the JSON header. */
    static long dataBytes(Path file) throws IOException {
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(file)) {
            java.nio.ByteBuffer len = java.nio.ByteBuffer.allocate(Long.BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (len.hasRemaining() && c.read(len) >= 0) { }
            return c.size() - Long.BYTES - len.getLong(0);
        }
    }

    /** The folder holding the four models of {@code shape} under {@code root}. */
    public static Path folder(Path root, ModelShape shape) {
        return root.resolve(String.format(Locale.ROOT, "L%d-h%d-i%d-v%d-%s", shape.layers(), shape.hidden(),
                shape.intermediate(), shape.vocab(), shape.dtype().torchName()));
    }

    /** Generates the set unless already complete; {@code log} hears what happens. Returns the folder. */
    public static Path ensure(Path root, ModelShape shape, int threads, java.util.function.Consumer<String> log) {
        Path dir = folder(root, shape);
        Path marker = dir.resolve(MARKER);
        if (Files.exists(marker)) return dir;
        log.accept("generating " + NAMES.size() + " models into " + dir + " (once per shape)...");
        long t0 = System.nanoTime();
        try {
            List<Path> dirs = new ArrayList<>();
            for (String n : NAMES) dirs.add(dir.resolve(n));
            SyntheticModels.writeAll(dirs, shape, SEED, SCALE, 5_000_000_000L, threads);
            Files.writeString(marker, "seed " + SEED + " scale " + SCALE + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        log.accept(String.format(Locale.ROOT, "generated in %.1f s", (System.nanoTime() - t0) / 1e9));
        return dir;
    }
}

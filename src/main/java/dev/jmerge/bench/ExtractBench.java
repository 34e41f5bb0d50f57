package dev.jmerge.bench;

import dev.jmerge.synth.ModelShape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code jmerge bench --extract-lora}: LoRA extraction (fine-tune 1 against the base) at a given rank, measured
 * like the merges in a child JVM against its I/O floor (read both models, write the adapter, fsync); then, on
 * layer 0 alone (seven projections, the same shapes as every layer), the randomized SVD against
 * {@code --exact-svd} in time and in the error each leaves: the full path would take hours with the exact one.
 */
final class ExtractBench {

    /** Layer 0's projections only: no embeddings saved whole (excluded), so the SVDs are what is timed. */
    private static final List<String> LAYER0 = List.of("-i", "^model\\.layers\\.0\\.", "-e", "embed_tokens", "-e", "lm_head");
    private static final Pattern ERROR_LINE = Pattern.compile("  (\\S+): rank (\\d+), \\|delta - B\\.A\\| / \\|delta\\| = ([0-9.]+)");
    static final double SPEEDUP_TARGET = 5;

    /** One measured extraction and what it printed per module with -v. */
    private record Run(ChildRun.Result result, Map<String, Double> errors) {}

    private ExtractBench() {}

    static String run(Path models, Path scratch, ModelShape shape, int j, String memory, int rank, PageCache pc,
                      String cache, Consumer<String> log, Path results) throws IOException {
        Path base = models.resolve("base"), ft = models.resolve("ft1");
        List<String> inputs = BenchModels.weightFiles(models, List.of("base", "ft1"));
        Path out = scratch.resolve("out-extract");
        List<String> args = new ArrayList<>(List.of("extract-lora", "--model", ft.toString(), "--base-model",
                base.toString(), "--out-path", out.toString(), "--max-rank", String.valueOf(rank), "--quiet",
                "--overwrite", "-j", String.valueOf(j)));
        // layer 0: room for a worker per core on the exact path too (it holds whole matrices), so both use every core
        List<String> layer = new ArrayList<>(args);
        layer.addAll(LAYER0);
        layer.addAll(List.of("-v", "--memory", "2G"));
        if (memory != null) args.addAll(List.of("--memory", memory));

        List<String> dry = new ArrayList<>(args);
        dry.add("--dry-run");
        long estimate = BenchCommand.estimate(ChildRun.run(scratch, "dev.jmerge.cli.Main", dry).output());
        log.accept("extract-lora rank " + rank + ": extraction...");
        pc.prepare(inputs);
        Run all = measure(scratch, args);
        long outBytes = Files.size(out.resolve("adapter_model.safetensors"));
        log.accept("extract-lora: I/O floor...");
        IoFloor.Floor floor = IoFloor.measure(scratch, outBytes, inputs, pc, IoFloor.defaultRuns(pc));

        log.accept("extract-lora layer 0: randomized...");
        pc.prepare(inputs);
        Run randomized = measure(scratch, layer);
        layer.add("--exact-svd");
        log.accept("extract-lora layer 0: --exact-svd (slow)...");
        pc.prepare(inputs);
        Run exact = measure(scratch, layer);

        long inBytes = 0;
        for (String p : inputs) inBytes += Files.size(Path.of(p));
        String table = render(shape, j, cache, rank, inBytes, outBytes, all, floor, estimate, randomized, exact);
        Files.writeString(results, json(shape, j, cache, rank, inBytes, outBytes, all, floor, estimate, randomized, exact));
        return table;
    }

    private static Run measure(Path scratch, List<String> args) {
        ChildRun.Result r = ChildRun.run(scratch, "dev.jmerge.cli.Main", args);
        if (r.exit() != 0) throw new IllegalStateException("extract-lora failed:\n" + r.output());
        Map<String, Double> errors = new TreeMap<>();
        Matcher m = ERROR_LINE.matcher(r.output());
        while (m.find()) errors.put(m.group(1), Double.parseDouble(m.group(3)));
        return new Run(r, errors);
    }

    /** The largest ratio, over modules, of the randomized path's error to the exact one's (1: optimal). */
    private static double worstErrorRatio(Run randomized, Run exact) {
        double worst = 0;
        for (var e : exact.errors().entrySet()) {
            Double r = randomized.errors().get(e.getKey());
            if (r != null && e.getValue() > 0) worst = Math.max(worst, r / e.getValue());
        }
        return worst;
    }

    private static String render(ModelShape shape, int j, String cache, int rank, long inBytes, long outBytes, Run all,
                                 IoFloor.Floor floor, long estimate, Run randomized, Run exact) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "models: hidden %d, intermediate %d, %d layers, vocab %d, %s; -j %d%n",
                shape.hidden(), shape.intermediate(), shape.layers(), shape.vocab(), shape.dtype().torchName(), j));
        sb.append("page cache: ").append(cache).append('\n');
        sb.append(String.format(Locale.ROOT, "%-34s %8s %8s %8s %8s %8s %9s %9s%n", "extract-lora (ft1 - base)",
                "read GB", "wall s", "floor s", "wall/fl", "CPU s", "peak RSS", "estimate"));
        ChildRun.Result a = all.result();
        sb.append(String.format(Locale.ROOT, "%-34s %8.2f %8.2f %8.2f %8.2f %8.1f %5d MiB %5d MiB%n",
                "rank " + rank + ", randomized, all", inBytes / 1e9, a.wallSeconds(), floor.wallSeconds(),
                a.wallSeconds() / floor.wallSeconds(), a.cpuSeconds(), a.peakRssBytes() >> 20, estimate >> 20));
        sb.append(String.format(Locale.ROOT, "floor: read both models, write the %.1f MB adapter, fsync%n", outBytes / 1e6));
        double speedup = exact.result().wallSeconds() / randomized.result().wallSeconds();
        sb.append(String.format(Locale.ROOT, "layer 0 (%d projections), rank %d:  randomized %.2f s (CPU %.1f s),"
                        + "  --exact-svd %.2f s (CPU %.1f s)%n", exact.errors().size(), rank,
                randomized.result().wallSeconds(), randomized.result().cpuSeconds(), exact.result().wallSeconds(),
                exact.result().cpuSeconds()));
        sb.append(String.format(Locale.ROOT, "  exact / randomized: %.1fx (target >= %.0fx %s); worst error ratio"
                        + " randomized / exact over the projections: %.5f%n", speedup, SPEEDUP_TARGET,
                speedup >= SPEEDUP_TARGET ? "ok" : "MISS", worstErrorRatio(randomized, exact)));
        return sb.toString();
    }

    private static String json(ModelShape shape, int j, String cache, int rank, long inBytes, long outBytes, Run all,
                               IoFloor.Floor floor, long estimate, Run randomized, Run exact) {
        ChildRun.Result a = all.result();
        return String.format(Locale.ROOT, """
                {
                  "shape": {"hidden": %d, "intermediate": %d, "layers": %d, "vocab": %d, "dtype": "%s"},
                  "threads": %d, "cache": "%s", "rank": %d,
                  "extract": {"read_bytes": %d, "written_bytes": %d, "wall_s": %.3f, "cpu_s": %.3f, "peak_rss_bytes": %d,
                              "estimate_bytes": %d, "floor_wall_s": %.3f, "wall_over_floor": %.3f},
                  "layer0": {"randomized_wall_s": %.3f, "randomized_cpu_s": %.3f, "exact_wall_s": %.3f, "exact_cpu_s": %.3f,
                             "exact_over_randomized": %.3f, "worst_error_ratio": %.6f}
                }
                """, shape.hidden(), shape.intermediate(), shape.layers(), shape.vocab(), shape.dtype().torchName(), j,
                cache, rank, inBytes, outBytes, a.wallSeconds(), a.cpuSeconds(), a.peakRssBytes(), estimate,
                floor.wallSeconds(), a.wallSeconds() / floor.wallSeconds(), randomized.result().wallSeconds(),
                randomized.result().cpuSeconds(), exact.result().wallSeconds(), exact.result().cpuSeconds(),
                exact.result().wallSeconds() / randomized.result().wallSeconds(), worstErrorRatio(randomized, exact));
    }
}

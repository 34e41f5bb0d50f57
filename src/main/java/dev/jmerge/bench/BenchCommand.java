package dev.jmerge.bench;

import dev.jmerge.synth.ModelShape;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jmerge bench}: generates the benchmark models once, then for each method measures a merge and its
 * I/O floor in child JVMs started with this JVM's flags, and prints the table (also written as JSON).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark merges against the I/O floor (read every input byte, write the output, fsync).",
                "Each merge and each floor runs in its own JVM; peak RSS is that process's VmHWM."})
public final class BenchCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "bench-data",
            description = "where models are generated (once per shape) and outputs written (default: ${DEFAULT-VALUE})")
    Path data;

    @Option(names = "--layers", paramLabel = "N", defaultValue = "8", description = "layers per model (default: ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--scale", paramLabel = "F", defaultValue = "1",
            description = "shrink or grow hidden/intermediate/vocab by this factor, e.g. 0.25 for a quick run (default: 1)")
    double scale;

    @Option(names = "--methods", split = ",", paramLabel = "M,...", description = "methods to run (default: all ten)")
    List<String> methods = new ArrayList<>(BenchConfigs.METHODS);

    @Option(names = {"-j", "--num-threads"}, paramLabel = "INT", description = "merge threads (default: cores)")
    Integer threads;

    @Option(names = "--memory", paramLabel = "SIZE", description = "passed to the merges' --memory")
    String memory;

    @Option(names = "--cache", paramLabel = "MODE", defaultValue = "auto",
            description = "page cache before each run: cold (drop it, needs root), warm (inputs cached), both (a cold"
                    + " table, then a warm one); auto: both if the cache can be dropped, else warm (default: auto)")
    String cache;

    @Option(names = "--warm", description = "only the warm table (same as --cache warm)")
    boolean warmOnly;

    @Option(names = "--report", description = "run each merge with --report (compare with a run without it)")
    boolean report;

    @Option(names = "--no-scaling", description = "skip the 2x-layers linear and ties runs that check RSS stays flat")
    boolean noScaling;

    @Option(names = "--floor-runs", paramLabel = "N",
            description = "I/O floor runs per merge, the table shows their median (default: 3 warm, 1 cold: a cold floor"
                    + " waits for the disk)")
    Integer floorRuns;

    @Option(names = "--results", paramLabel = "FILE", defaultValue = "bench-results.json",
            description = "JSON results file (default: ${DEFAULT-VALUE})")
    Path results;

    @Option(names = "--extract-lora", paramLabel = "RANK", arity = "0..1", fallbackValue = "32",
            description = "instead of the merges: extract-lora at this rank (default 32) against its I/O floor, and"
                    + " on layer 0 against --exact-svd")
    Integer extractRank;

    /**
     * Run again on twice the layers, to show peak RSS does not grow with the model: linear (the plainest stream)
     * and ties (the largest resident set, from the tie-order scratch of the widest tensor).
     */
    static final List<String> SCALED = List.of("linear", "ties");

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (floorRuns != null && floorRuns < 1) throw new IllegalArgumentException("--floor-runs: expected at least 1, got " + floorRuns);
        int cores = Runtime.getRuntime().availableProcessors();
        int j = threads != null ? threads : cores;
        ModelShape shape = scaled(ModelShape.bench().withLayers(layers), scale);
        Files.createDirectories(data);
        Path scratch = data.resolve("scratch");
        Files.createDirectories(scratch);
        List<PageCache> caches = PageCache.choose(warmOnly ? "warm" : cache, msg -> log(out, msg));
        Path models = BenchModels.ensure(data, shape, cores, msg -> log(out, msg));
        if (extractRank != null) {
            PageCache pc = caches.getFirst();
            String table = ExtractBench.run(models, scratch, shape, j, memory, extractRank, pc, pc.description(),
                    msg -> log(out, msg), results);
            out.println();
            out.print(table);
            out.println("results: " + results.toAbsolutePath());
            out.flush();
            deleteTree(scratch);
            return 0;
        }
        Path big = noScaling ? null : BenchModels.ensure(data, shape.withLayers(layers * 2), cores, msg -> log(out, msg));
        List<BenchTable.Section> sections = new ArrayList<>();
        for (PageCache pc : caches) {
            String loadBefore = PageCache.loadAverage();
            List<BenchTable.Row> rows = new ArrayList<>();
            for (String m : methods) {
                rows.add(measure(m, models, scratch, j, pc, out));
            }
            List<BenchTable.Row> scaled = new ArrayList<>();
            if (big != null) {
                for (String m : SCALED) {
                    if (methods.contains(m)) scaled.add(measure(m, big, scratch, j, pc, out).relabel(m + " (2x layers)"));
                }
            }
            sections.add(new BenchTable.Section(pc.name(), pc.description(), loadBefore, PageCache.loadAverage(), rows,
                    scaled));
        }
        BenchTable table = new BenchTable(shape, j, cores, sections);
        out.println();
        out.print(table.render());
        Files.writeString(results, table.json());
        out.println("results: " + results.toAbsolutePath());
        out.flush();
        deleteTree(scratch);
        return 0;
    }

    private BenchTable.Row measure(String method, Path models, Path scratch, int j, PageCache pc, PrintWriter out)
            throws IOException {
        int elementBytes = ModelShape.bench().dtype().byteSize();
        Path config = scratch.resolve(method + ".yml");
        Files.writeString(config, BenchConfigs.yaml(method, models));
        Path mergeOut = scratch.resolve("out-" + method);
        List<String> inputs = BenchModels.weightFiles(models, BenchConfigs.inputs(method));
        List<String> args = new ArrayList<>(List.of(config.toString(), mergeOut.toString(), "--quiet", "--overwrite",
                "-j", String.valueOf(j), "--random-seed", "1", "--no-copy-tokenizer"));
        if (memory != null) args.addAll(List.of("--memory", memory));

        List<String> dry = new ArrayList<>(args);
        dry.set(1, "--dry-run");
        ChildRun.Result plan = ChildRun.run(scratch, "dev.jmerge.cli.Main", dry);
        long estimate = estimate(plan.output());
        if (report) args.add("--report");

        log(out, method + " (" + pc.name() + "): merge...");
        pc.prepare(inputs);
        ChildRun.Result merge = ChildRun.run(scratch, "dev.jmerge.cli.Main", args);
        if (merge.exit() != 0) throw new IllegalStateException(method + " merge failed:\n" + merge.output());
        long outBytes = outputBytes(mergeOut);
        deleteTree(mergeOut);

        log(out, method + ": I/O floor...");
        IoFloor.Floor floor = IoFloor.measure(scratch, outBytes, inputs, pc,
                floorRuns != null ? floorRuns : IoFloor.defaultRuns(pc));
        long inBytes = 0;
        long inElements = 0;
        for (String p : inputs) {
            inBytes += Files.size(Path.of(p));
            inElements += BenchModels.dataBytes(Path.of(p)) / elementBytes;
        }
        BenchTable.Row row = new BenchTable.Row(method, inBytes, inElements, outBytes, merge, floor, estimate);
        log(out, String.format(Locale.ROOT, "%s (%s): %.2f s (floor %.2f s: read %.2f, write %.2f; x%.2f), cpu %.1f s"
                        + " (%.2f ns/element), peak RSS %d MiB", method, pc.name(), merge.wallSeconds(), floor.wallSeconds(),
                floor.readSeconds(), floor.writeSeconds(), row.ratio(), merge.cpuSeconds(), row.cpuNsPerElement(),
                merge.peakRssBytes() >> 20));
        return row;
    }

    /** The "peak memory estimate" of a --dry-run report, in bytes; -1 when absent. */
    static long estimate(String dryRun) {
        var m = java.util.regex.Pattern.compile("peak memory estimate: ([0-9.]+) (B|KiB|MiB|GiB)").matcher(dryRun);
        if (!m.find()) return -1;
        int shift = switch (m.group(2)) {
            case "KiB" -> 10;
            case "MiB" -> 20;
            case "GiB" -> 30;
            default -> 0;
        };
        return (long) (Double.parseDouble(m.group(1)) * (1L << shift));
    }

    static ModelShape scaled(ModelShape s, double f) {
        if (f == 1) return s;
        int heads = Math.max(1, (int) Math.round(s.heads() * f));
        int headDim = s.headDim();
        return new ModelShape(heads * headDim, round64(s.intermediate() * f), s.layers(), heads,
                Math.max(1, (int) Math.round(s.kvHeads() * f)), round64(s.vocab() * f), s.tied(), s.dtype());
    }

    private static int round64(double v) { return Math.max(64, (int) Math.round(v / 64) * 64); }

    private static long outputBytes(Path dir) throws IOException {
        long n = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList()) n += Files.size(p);
        }
        return n;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void log(PrintWriter out, String msg) {
        out.println("bench: " + msg);
        out.flush();
    }
}

package dev.jmerge.bench;

import dev.jmerge.synth.ModelShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark's results: one table per page cache state (key column: wall / floor; CPU time per input
 * element shows the engine's own cost whatever the disk did), and the JSON written beside them.
 */
record BenchTable(ModelShape shape, int threads, int cores, List<Section> sections) {

    /** Merge wall time over I/O floor, cold and warm alike (issues 4 and 11). */
    static final Map<String, Double> TARGETS = Map.of("linear", 1.5, "task_arithmetic", 1.5, "model_stock", 1.5,
            "slerp", 2.0, "nuslerp", 2.0, "ties", 2.5, "dare_ties", 2.5, "breadcrumbs", 2.5, "della", 2.5, "sce", 2.5);
    static final long RSS_TARGET = 600L << 20;
    /** Printed instead of a target's "ok" or "MISS" where the merge beat its floor. */
    static final String NOT_FLOOR = "not floor";
    /** Peak RSS on models with twice the layers may exceed the same method's on the original ones by this much. */
    static final double RSS_GROWTH_TARGET = 0.10;

    /** The runs in one page cache state; {@code scaled} are runs on twice the layers (possibly none). */
    record Section(String cache, String description, String loadBefore, String loadAfter, List<Row> rows,
                   List<Row> scaled) {
        List<Row> all() {
            List<Row> all = new ArrayList<>(rows);
            all.addAll(scaled);
            return all;
        }

        /** The run of {@code s}'s method on the original models, or null. */
        Row original(Row s) {
            String method = s.label().replace(" (2x layers)", "");
            return rows.stream().filter(r -> r.label().equals(method)).findFirst().orElse(null);
        }
    }

    /** Peak RSS growth of a 2x-layers run over its method's run on the original models (0.05 = +5 %). */
    static double growth(Row original, Row doubled) {
        return (double) doubled.merge().peakRssBytes() / original.merge().peakRssBytes() - 1;
    }

    /**
     * @param inElements elements of the input tensors read (each once)
     * @param estimate the --dry-run peak memory estimate for this merge
     */
    record Row(String label, long inBytes, long inElements, long outBytes, ChildRun.Result merge,
               IoFloor.Floor floor, long estimate) {
        double ratio() { return merge.wallSeconds() / floor.wallSeconds(); }

        /**
         * Whether the floor held: a merge does at least the floor's work, so one that finished sooner shows that
         * this floor was measured slower than it can be (a noisy or disturbed run) and its ratio means nothing.
         */
        boolean floorHolds() { return merge.wallSeconds() >= floor.wallSeconds(); }

        /** The target column: the target and whether it is met, or {@link #NOT_FLOOR}. */
        String verdict() {
            Double t = target();
            if (!floorHolds()) return NOT_FLOOR;
            return t == null ? "-" : String.format(Locale.ROOT, "<=%.1f %s", t, ratio() <= t ? "ok" : "MISS");
        }

        /** The merge process's CPU time (all threads, start-up included) per input element. */
        double cpuNsPerElement() { return merge.cpuSeconds() * 1e9 / Math.max(1, inElements); }

        Row relabel(String l) { return new Row(l, inBytes, inElements, outBytes, merge, floor, estimate); }

        Double target() { return TARGETS.get(label); }
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "models: hidden %d, intermediate %d, %d layers, vocab %d, %s; -j %d on %d cores%n",
                shape.hidden(), shape.intermediate(), shape.layers(), shape.vocab(), shape.dtype().torchName(), threads, cores));
        for (Section s : sections) {
            sb.append('\n');
            sb.append("page cache: ").append(s.description()).append('\n');
            sb.append("load average before/after: ").append(s.loadBefore()).append(" / ").append(s.loadAfter()).append('\n');
            sb.append(String.format(Locale.ROOT, "%-20s %8s %8s %8s %7s %8s %8s %10s %8s %8s %9s %9s %7s%n", "method",
                    "read GB", "wall s", "floor s", "fl read", "fl write", "wall/fl", "target", "CPU s", "CPU ns/el",
                    "peak RSS", "estimate", "RSS ok"));
            for (Row r : s.all()) {
                sb.append(String.format(Locale.ROOT, "%-20s %8.2f %8.2f %8.2f %7.2f %8.2f %8.2f %10s %8.1f %9.2f %5d MiB %5d MiB %7s%n",
                        r.label(), r.inBytes() / 1e9, r.merge().wallSeconds(), r.floor().wallSeconds(),
                        r.floor().readSeconds(), r.floor().writeSeconds(), r.ratio(), r.verdict(), r.merge().cpuSeconds(),
                        r.cpuNsPerElement(), r.merge().peakRssBytes() >> 20, r.estimate() >> 20,
                        r.merge().peakRssBytes() <= RSS_TARGET ? "ok" : "MISS"));
            }
            List<Row> all = s.all();
            sb.append(String.format(Locale.ROOT, "floor: median of %d runs; reads the inputs (mapped, a thread each)"
                            + " while it writes %.2f GB as the merge does (%d KiB writes into a pre-sized file,"
                            + " write-back every 64 MB, fsync); fl read, fl write: when each part was done%n",
                    all.isEmpty() ? 0 : all.getFirst().floor().samples().size(),
                    all.isEmpty() ? 0 : all.getFirst().outBytes() / 1e9, IoFloor.WRITE_BYTES >> 10));
            if (all.stream().anyMatch(r -> !r.floorHolds())) {
                sb.append(NOT_FLOOR + ": the merge finished before its floor, so that floor is no lower bound and its"
                        + " wall/fl says nothing\n");
            }
            sb.append(String.format(Locale.ROOT, "RSS target <= %d MiB%n", RSS_TARGET >> 20));
            for (Row d : s.scaled()) {
                Row o = s.original(d);
                if (o == null) continue;
                double g = growth(o, d);
                sb.append(String.format(Locale.ROOT, "%s: peak RSS %d MiB -> %d MiB with 2x layers, %+.1f %% (target <= +%.0f %%: %s)%n",
                        o.label(), o.merge().peakRssBytes() >> 20, d.merge().peakRssBytes() >> 20, 100 * g,
                        100 * RSS_GROWTH_TARGET, g <= RSS_GROWTH_TARGET ? "ok" : "MISS"));
            }
        }
        return sb.toString();
    }

    String json() {
        StringBuilder sb = new StringBuilder("{\n");
        sb.append(String.format(Locale.ROOT, "  \"shape\": {\"hidden\": %d, \"intermediate\": %d, \"layers\": %d, \"vocab\": %d, \"dtype\": \"%s\"},%n",
                shape.hidden(), shape.intermediate(), shape.layers(), shape.vocab(), shape.dtype().torchName()));
        sb.append(String.format(Locale.ROOT, "  \"threads\": %d, \"cores\": %d,%n", threads, cores));
        sb.append("  \"tables\": [\n");
        for (int k = 0; k < sections.size(); k++) {
            Section s = sections.get(k);
            sb.append(String.format(Locale.ROOT, "    {\"cache\": \"%s\", \"description\": \"%s\", \"load_before\": \"%s\", "
                    + "\"load_after\": \"%s\",%n", s.cache(), s.description(), s.loadBefore(), s.loadAfter()));
            sb.append("     \"runs\": [\n");
            List<Row> all = s.all();
            for (int i = 0; i < all.size(); i++) {
                Row r = all.get(i);
                Row o = s.scaled().contains(r) ? s.original(r) : null;
                String extra = (r.target() == null ? "" : String.format(Locale.ROOT, ", \"target\": %.1f", r.target()))
                        + (o == null ? "" : String.format(Locale.ROOT, ", \"rss_growth_over_1x\": %.3f", growth(o, r)));
                sb.append(String.format(Locale.ROOT, "      {\"method\": \"%s\", \"read_bytes\": %d, \"read_elements\": %d, "
                                + "\"written_bytes\": %d, \"wall_s\": %.3f, \"cpu_s\": %.3f, \"cpu_ns_per_element\": %.3f, "
                                + "\"peak_rss_bytes\": %d, \"floor_wall_s\": %.3f, \"floor_read_s\": %.3f, "
                                + "\"floor_write_s\": %.3f, \"floor_runs_wall_s\": %s, \"floor_cpu_s\": %.3f, "
                                + "\"floor_peak_rss_bytes\": %d, \"estimate_bytes\": %d, \"wall_over_floor\": %.3f, "
                                + "\"floor_holds\": %b%s}%s%n",
                        r.label(), r.inBytes(), r.inElements(), r.outBytes(), r.merge().wallSeconds(), r.merge().cpuSeconds(),
                        r.cpuNsPerElement(), r.merge().peakRssBytes(), r.floor().wallSeconds(), r.floor().readSeconds(),
                        r.floor().writeSeconds(), runs(r.floor()), r.floor().cpuSeconds(), r.floor().peakRssBytes(),
                        r.estimate(), r.ratio(), r.floorHolds(), extra, i + 1 < all.size() ? "," : ""));
            }
            sb.append("     ]}").append(k + 1 < sections.size() ? "," : "").append('\n');
        }
        sb.append("  ]\n}\n");
        return sb.toString();
    }

    /** Each floor run's wall time, as a JSON array. */
    private static String runs(IoFloor.Floor f) {
        StringBuilder sb = new StringBuilder("[");
        for (IoFloor.Sample s : f.samples()) {
            if (sb.length() > 1) sb.append(", ");
            sb.append(String.format(Locale.ROOT, "%.3f", s.child().wallSeconds()));
        }
        return sb.append(']').toString();
    }
}

package dev.jmerge.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The page of a merge report: per tensor kind, plots over the layers of the task vectors' cosines and norms
 * (with the merged change beside them), model_stock's t or the kept shares; then every tensor in a table, and
 * the config. A layer's tensors of one kind are plotted as one vector: norms add in squares, cosines are taken
 * of the concatenated vectors, kept shares are weighed by size.
 */
public final class MergeReportPage {

    private static final String LAYER = "layer";
    private static final String MERGED = "merged (output − base)";

    private MergeReportPage() {}

    public static ReportPage of(MergeReport r) {
        Names names = Names.of(r);
        List<ReportPage.Fact> facts = new ArrayList<>();
        facts.add(new ReportPage.Fact("method", r.method()));
        facts.add(new ReportPage.Fact("base", r.base() == null ? "none" : r.base()));
        facts.add(new ReportPage.Fact("models", String.join(", ", r.models())));
        if (!names.prefix().isEmpty()) facts.add(new ReportPage.Fact("plots and table drop", names.prefix()));
        facts.add(new ReportPage.Fact("tensors", Integer.toString(r.tensors().size())));
        if (!r.merged()) facts.add(new ReportPage.Fact("output", "none (dry run: input numbers only)"));
        Map<TensorKind, List<MergeReport.Tensor>> byKind = new LinkedHashMap<>();
        for (TensorKind k : TensorKind.values()) byKind.put(k, new ArrayList<>());
        for (MergeReport.Tensor t : r.tensors()) byKind.get(t.kind()).add(t);
        List<ReportPage.Section> sections = new ArrayList<>();
        byKind.forEach((kind, tensors) -> {
            if (!tensors.isEmpty()) sections.add(section(r, names, kind, tensors));
        });
        String title = "jmerge report: " + r.method() + (r.merged() ? "" : " (dry run)");
        return new ReportPage(title, facts, sections, table(r, names), r.config());
    }

    /**
     * How the page names models: without the folder path all of them share ({@code examples/models/}), which
     * would only crowd legends and headers; report.json keeps the names whole.
     */
    record Names(String prefix) {

        static Names of(MergeReport r) {
            List<String> all = new ArrayList<>(r.models());
            if (r.base() != null) all.add(r.base());
            return of(all);
        }

        /** The folder path every one of {@code all} starts with. */
        static Names of(List<String> all) {
            if (all.isEmpty()) return new Names("");
            String p = all.getFirst();
            for (String n : all) while (!n.startsWith(p)) p = p.substring(0, p.length() - 1);
            int slash = p.lastIndexOf('/');
            return new Names(slash < 0 ? "" : p.substring(0, slash + 1));
        }

        String of(String model) { return model.startsWith(prefix) ? model.substring(prefix.length()) : model; }

        String pair(String first, String second) { return of(first) + " · " + of(second); }
    }

    private static ReportPage.Section section(MergeReport r, Names names, TensorKind kind,
                                              List<MergeReport.Tensor> tensors) {
        boolean base = r.base() != null;
        List<Chart> charts = new ArrayList<>();
        Layered layered = new Layered(r, names, tensors, base);
        if (r.models().size() > 1) {
            charts.add(layered.cosines(base ? "Cosine of task vectors" : "Cosine of weights"));
        }
        charts.add(layered.norms(base ? "‖task vector‖ (Frobenius)" : "‖weights‖ (Frobenius)"));
        if (tensors.stream().anyMatch(t -> t.modelStockT() != null)) charts.add(modelStockT(tensors));
        if (tensors.stream().anyMatch(t -> t.keptFraction() != null)) charts.add(layered.kept());
        String note = tensors.size() + " tensors; a layer's tensors of this kind are plotted as one vector"
                + (base ? "" : "; no base model, so the weights themselves are compared");
        return new ReportPage.Section(kind.title(), note, charts);
    }

    /** model_stock's t of each tensor role, over the layers. */
    private static Chart modelStockT(List<MergeReport.Tensor> tensors) {
        Chart.Builder b = new Chart.Builder("model_stock t (weight of the fine-tunes' mean)", LAYER, "t").range(0, 1);
        for (MergeReport.Tensor t : tensors) {
            if (t.modelStockT() != null) b.put(role(t.name()), t.layer(), t.name(), t.modelStockT());
        }
        return b.build();
    }

    /** A tensor's name within its layer, less {@code .weight}. */
    static String role(String name) {
        String r = TensorNames.role(name);
        return r.endsWith(".weight") ? r.substring(0, r.length() - ".weight".length()) : r;
    }

    /** Sums of a kind's tensors per layer (or per tensor outside the layers). */
    private static final class Layered {
        private final MergeReport r;
        private final Names names;
        private final List<MergeReport.Tensor> tensors;
        private final boolean base;

        Layered(MergeReport r, Names names, List<MergeReport.Tensor> tensors, boolean base) {
            this.r = r;
            this.names = names;
            this.tensors = tensors;
            this.base = base;
        }

        private Map<String, Double> norms(MergeReport.Tensor t) { return base ? t.taskVectorNorm() : t.weightNorm(); }

        private Map<String, Double> cosines(MergeReport.Tensor t) { return base ? t.cosine() : t.weightCosine(); }

        private static String category(MergeReport.Tensor t) {
            return t.layer() != null ? t.layer().toString() : t.name();
        }

        Chart norms(String title) {
            Map<String, Map<String, Double>> squares = new LinkedHashMap<>();
            Chart.Builder b = new Chart.Builder(title, LAYER, "norm").range(0, Double.NaN);
            for (String m : r.models()) b.series(names.of(m));
            for (MergeReport.Tensor t : tensors) {
                Map<String, Double> n = norms(t);
                Map<String, Double> cat = squares.computeIfAbsent(category(t), k -> new LinkedHashMap<>());
                if (n != null) n.forEach((m, v) -> cat.merge(names.of(m), v * v, Double::sum));
                Double out = base ? t.outputDeltaNorm() : t.outputNorm();
                if (out != null) cat.merge(base ? MERGED : "merged", out * out, Double::sum);
            }
            squares.forEach((cat, byModel) -> byModel.forEach((m, sq) -> b.put(m, cat, Math.sqrt(sq))));
            return b.build();
        }

        Chart cosines(String title) {
            // Σ dot and Σ norm² per category, for the cosine of the layer's concatenated vectors
            Map<String, Map<String, double[]>> sums = new LinkedHashMap<>();
            Chart.Builder b = new Chart.Builder(title, LAYER, "cosine");
            for (MergeReport.Tensor t : tensors) {
                Map<String, Double> cos = cosines(t), norm = norms(t);
                if (cos == null || norm == null) continue;
                Map<String, double[]> cat = sums.computeIfAbsent(category(t), k -> new LinkedHashMap<>());
                cos.forEach((pair, c) -> {
                    String[] ms = split(pair);
                    double na = norm.getOrDefault(ms[0], 0.0), nb = norm.getOrDefault(ms[1], 0.0);
                    double[] s = cat.computeIfAbsent(pair, k -> new double[3]);
                    if (c != null && Double.isFinite(c)) s[0] += c * na * nb;
                    s[1] += na * na;
                    s[2] += nb * nb;
                });
            }
            for (int i = 0; i < r.models().size(); i++) {
                for (int j = i + 1; j < r.models().size(); j++) b.series(names.pair(r.models().get(i), r.models().get(j)));
            }
            sums.forEach((cat, byPair) -> byPair.forEach((pair, s) -> {
                double den = Math.sqrt(s[1]) * Math.sqrt(s[2]);
                String[] ms = split(pair);
                b.put(names.pair(ms[0], ms[1]), cat, den > 0 ? s[0] / den : Double.NaN);
            }));
            return b.build();
        }

        Chart kept() {
            Map<String, Map<String, double[]>> sums = new LinkedHashMap<>();
            Chart.Builder b = new Chart.Builder("Kept share of each task vector", LAYER, "share of elements").range(0, 1);
            for (String m : r.models()) b.series(names.of(m));
            for (MergeReport.Tensor t : tensors) {
                if (t.keptFraction() == null) continue;
                Map<String, double[]> cat = sums.computeIfAbsent(category(t), k -> new LinkedHashMap<>());
                t.keptFraction().forEach((m, f) -> {
                    double[] s = cat.computeIfAbsent(names.of(m), k -> new double[2]);
                    s[0] += f * t.numel();
                    s[1] += t.numel();
                });
            }
            sums.forEach((cat, byModel) -> byModel.forEach((m, s) -> b.put(m, cat, s[0] / s[1])));
            return b.build();
        }

        /** A cosine key's two model names (names may contain '|' only if the config's do). */
        private String[] split(String pair) {
            for (String m : r.models()) {
                if (pair.startsWith(m + "|")) return new String[] {m, pair.substring(m.length() + 1)};
            }
            int bar = pair.indexOf('|');
            return new String[] {pair.substring(0, bar), pair.substring(bar + 1)};
        }
    }

    private static ReportPage.Table table(MergeReport r, Names names) {
        boolean base = r.base() != null;
        List<String> pairs = new ArrayList<>();
        for (int i = 0; i < r.models().size(); i++) {
            for (int j = i + 1; j < r.models().size(); j++) pairs.add(MergeReport.pair(r.models().get(i), r.models().get(j)));
        }
        boolean hasT = r.tensors().stream().anyMatch(t -> t.modelStockT() != null);
        boolean hasKept = r.tensors().stream().anyMatch(t -> t.keptFraction() != null);
        List<String> header = new ArrayList<>(List.of("tensor", "layer"));
        for (String m : r.models()) header.add("‖" + (base ? "Δ " : "") + names.of(m) + "‖");
        for (int i = 0; i < r.models().size(); i++) {
            for (int j = i + 1; j < r.models().size(); j++) header.add("cos " + names.pair(r.models().get(i), r.models().get(j)));
        }
        if (hasT) header.add("t");
        if (hasKept) for (String m : r.models()) header.add("kept " + names.of(m));
        if (r.merged()) header.add(base ? "‖output − base‖" : "‖output‖");
        List<List<String>> rows = new ArrayList<>();
        for (MergeReport.Tensor t : r.tensors()) {
            List<String> row = new ArrayList<>();
            row.add(t.name());
            row.add(t.layer() == null ? "" : t.layer().toString());
            Map<String, Double> norms = base ? t.taskVectorNorm() : t.weightNorm();
            Map<String, Double> cos = base ? t.cosine() : t.weightCosine();
            for (String m : r.models()) row.add(Html.number(norms == null ? null : norms.get(m)));
            for (String p : pairs) row.add(Html.number(cos == null ? null : cos.get(p)));
            if (hasT) row.add(Html.number(t.modelStockT()));
            if (hasKept) for (String m : r.models()) row.add(Html.number(t.keptFraction() == null ? null : t.keptFraction().get(m)));
            if (r.merged()) row.add(Html.number(base ? t.outputDeltaNorm() : t.outputNorm()));
            rows.add(row);
        }
        return new ReportPage.Table("Tensors", header, rows);
    }
}

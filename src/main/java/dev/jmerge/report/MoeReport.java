package dev.jmerge.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code jmerge moe --report}: per layer, how far apart the router's rows are (a router whose rows point the same
 * way cannot tell its experts apart) and how the experts' MLPs differ from the base's and from each other.
 * report.json is {@code {"command": "moe", "base", "gate_mode", "gate_experts", "experts", "layers": [{"layer",
 * "gate_norm", "gate_cosine", "task_vector_norm", "task_vector_cosine"}]}}; pairs are keyed {@code "a|b"} in
 * config order, undefined cosines (a zero vector) are null.
 *
 * @param gateExperts the experts with a router row, in row order
 * @param experts     the routed experts, whose MLPs are compared with the base's
 */
public record MoeReport(String base, String gateMode, List<String> gateExperts, List<String> experts,
                        List<Layer> layers, String config) {

    public MoeReport {
        gateExperts = List.copyOf(gateExperts);
        experts = List.copyOf(experts);
        layers = List.copyOf(layers);
    }

    /**
     * @param gateNorm         per gate expert, the norm of its router row as written
     * @param gateCosine       per pair of gate experts, the cosine of their router rows
     * @param taskVectorNorm   per routed expert, {@code ‖expert MLP − base MLP‖_F} over the layer's MLP tensors
     *                         (before noise_scale and residual_scale); absent for an expert whose model lacks them
     * @param taskVectorCosine per pair of routed experts, the cosine of those task vectors
     */
    public record Layer(int layer, Map<String, Double> gateNorm, Map<String, Double> gateCosine,
                        Map<String, Double> taskVectorNorm, Map<String, Double> taskVectorCosine) {}

    public void write(Path dir) { ReportFiles.write(dir, json(), page()); }

    public String json() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("command", "moe");
        root.put("base", base);
        root.put("gate_mode", gateMode);
        ArrayNode g = root.putArray("gate_experts");
        gateExperts.forEach(g::add);
        ArrayNode e = root.putArray("experts");
        experts.forEach(e::add);
        ArrayNode ls = root.putArray("layers");
        for (Layer l : layers) {
            ObjectNode o = ls.addObject();
            o.put("layer", l.layer());
            MergeReportJson.map(o, "gate_norm", l.gateNorm());
            MergeReportJson.map(o, "gate_cosine", l.gateCosine());
            MergeReportJson.map(o, "task_vector_norm", l.taskVectorNorm());
            MergeReportJson.map(o, "task_vector_cosine", l.taskVectorCosine());
        }
        return JsonMapper.shared().writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    public ReportPage page() {
        List<String> all = new ArrayList<>(gateExperts);
        all.addAll(experts);
        all.add(base);
        MergeReportPage.Names names = MergeReportPage.Names.of(all);
        List<ReportPage.Fact> facts = new ArrayList<>(List.of(new ReportPage.Fact("base", base),
                new ReportPage.Fact("gate mode", gateMode), new ReportPage.Fact("experts", String.join(", ", experts)),
                new ReportPage.Fact("layers", Integer.toString(layers.size()))));
        if (!names.prefix().isEmpty()) facts.add(new ReportPage.Fact("plots and table drop", names.prefix()));
        Chart.Builder gateCos = new Chart.Builder("Cosine of router rows", "layer", "cosine");
        Chart.Builder gateNorm = new Chart.Builder("‖router row‖", "layer", "norm").range(0, Double.NaN);
        Chart.Builder tvCos = new Chart.Builder("Cosine of experts' MLP task vectors", "layer", "cosine");
        Chart.Builder tvNorm = new Chart.Builder("‖expert MLP − base MLP‖ (Frobenius)", "layer", "norm")
                .range(0, Double.NaN);
        List<String> header = new ArrayList<>(List.of("layer"));
        pairs(gateExperts).forEach(p -> header.add("router cos " + label(names, p)));
        experts.forEach(x -> header.add("‖Δ " + names.of(x) + "‖"));
        pairs(experts).forEach(p -> header.add("Δ cos " + label(names, p)));
        List<List<String>> rows = new ArrayList<>();
        for (Layer l : layers) {
            l.gateCosine().forEach((p, v) -> gateCos.put(label(names, p), l.layer(), null, v));
            l.gateNorm().forEach((x, v) -> gateNorm.put(names.of(x), l.layer(), null, v));
            l.taskVectorCosine().forEach((p, v) -> tvCos.put(label(names, p), l.layer(), null, v));
            l.taskVectorNorm().forEach((x, v) -> tvNorm.put(names.of(x), l.layer(), null, v));
            List<String> row = new ArrayList<>(List.of(Integer.toString(l.layer())));
            pairs(gateExperts).forEach(p -> row.add(Html.number(l.gateCosine().get(p))));
            experts.forEach(x -> row.add(Html.number(l.taskVectorNorm().get(x))));
            pairs(experts).forEach(p -> row.add(Html.number(l.taskVectorCosine().get(p))));
            rows.add(row);
        }
        List<ReportPage.Section> sections = new ArrayList<>();
        List<Chart> router = new ArrayList<>();
        if (gateExperts.size() > 1) router.add(gateCos.build());
        router.add(gateNorm.build());
        sections.add(new ReportPage.Section("Router", "one row per expert and layer; rows close to cosine 1 send"
                + " every token the same way", router));
        List<Chart> mlp = new ArrayList<>();
        if (experts.size() > 1) mlp.add(tvCos.build());
        mlp.add(tvNorm.build());
        sections.add(new ReportPage.Section("Experts' MLPs against the base", "a layer's MLP tensors of each expert's"
                + " model, less the base model's, as one vector", mlp));
        return new ReportPage("jmerge report: moe", facts, sections, new ReportPage.Table("Layers", header, rows),
                config);
    }

    /** {@code "a|b"} for every pair of {@code names}, in order. */
    private static List<String> pairs(List<String> names) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            for (int j = i + 1; j < names.size(); j++) out.add(MergeReport.pair(names.get(i), names.get(j)));
        }
        return out;
    }

    private static String label(MergeReportPage.Names names, String pair) {
        int bar = pair.indexOf('|');
        return names.pair(pair.substring(0, bar), pair.substring(bar + 1));
    }
}

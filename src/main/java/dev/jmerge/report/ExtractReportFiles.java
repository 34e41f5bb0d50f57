package dev.jmerge.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * report.json and report.html of an extracted adapter: {@code {"command": "extract-lora", "model", "base",
 * "max_rank", "modules": [{"name", "layer", "action", "rank", "delta_norm", "relative_error", "energy_kept"}]}}
 * and, per module kind, plots over the layers of each module's rank, ‖Δ‖, relative error and energy kept.
 */
public final class ExtractReportFiles {

    private static final String LAYER = "layer";

    private ExtractReportFiles() {}

    public static void write(Path dir, ExtractReport r) {
        ReportFiles.write(dir, json(r), page(r));
    }

    public static String json(ExtractReport r) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("command", "extract-lora");
        root.put("model", r.model());
        root.put("base", r.base());
        root.put("max_rank", r.maxRank());
        ArrayNode modules = root.putArray("modules");
        for (ExtractReport.Module m : r.modules()) {
            ObjectNode o = modules.addObject();
            o.put("name", m.name());
            if (m.layer() == null) o.putNull("layer");
            else o.put("layer", m.layer().intValue());
            o.put("action", m.action().key());
            if (m.action() != ExtractReport.Action.DECOMPOSED) continue;
            o.put("rank", m.rank().intValue());
            MergeReportJson.put(o, "delta_norm", m.deltaNorm());
            MergeReportJson.put(o, "relative_error", m.relativeError());
            MergeReportJson.put(o, "energy_kept", m.energyKept());
        }
        return JsonMapper.shared().writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    public static ReportPage page(ExtractReport r) {
        Map<ExtractReport.Action, Integer> counts = new LinkedHashMap<>();
        for (ExtractReport.Module m : r.modules()) counts.merge(m.action(), 1, Integer::sum);
        List<ReportPage.Fact> facts = List.of(new ReportPage.Fact("model", r.model()),
                new ReportPage.Fact("base", r.base()), new ReportPage.Fact("max rank", Integer.toString(r.maxRank())),
                new ReportPage.Fact("decomposed", counts.getOrDefault(ExtractReport.Action.DECOMPOSED, 0).toString()),
                new ReportPage.Fact("saved at full rank", counts.getOrDefault(ExtractReport.Action.FULL_RANK, 0).toString()),
                new ReportPage.Fact("left out", counts.getOrDefault(ExtractReport.Action.LEFT_OUT, 0).toString()));
        List<ReportPage.Section> sections = new ArrayList<>();
        for (TensorKind kind : TensorKind.values()) {
            List<ExtractReport.Module> ms = r.modules().stream()
                    .filter(m -> m.kind() == kind && m.action() == ExtractReport.Action.DECOMPOSED).toList();
            if (ms.isEmpty()) continue;
            Chart.Builder rank = new Chart.Builder("Rank", LAYER, "rank").range(0, Double.NaN);
            Chart.Builder norm = new Chart.Builder("‖Δ‖ (Frobenius)", LAYER, "norm").range(0, Double.NaN);
            Chart.Builder error = new Chart.Builder("Relative error ‖Δ − B·A‖ / ‖Δ‖", LAYER, "error").range(0, Double.NaN);
            Chart.Builder energy = new Chart.Builder("Energy kept (share of ‖Δ‖²)", LAYER, "share").range(0, 1);
            for (ExtractReport.Module m : ms) {
                String role = TensorNames.role(m.name());
                rank.put(role, m.layer(), m.name(), m.rank());
                if (m.deltaNorm() != null) norm.put(role, m.layer(), m.name(), m.deltaNorm());
                if (m.relativeError() != null) error.put(role, m.layer(), m.name(), m.relativeError());
                if (m.energyKept() != null) energy.put(role, m.layer(), m.name(), m.energyKept());
            }
            sections.add(new ReportPage.Section(kind.title(), ms.size() + " decomposed modules, one line per module"
                    + " of a layer", List.of(energy.build(), error.build(), norm.build(), rank.build())));
        }
        List<List<String>> rows = new ArrayList<>();
        for (ExtractReport.Module m : r.modules()) {
            rows.add(List.of(m.name(), m.layer() == null ? "" : m.layer().toString(), m.action().key(),
                    m.rank() == null ? "" : m.rank().toString(), Html.number(m.deltaNorm()),
                    Html.number(m.relativeError()), Html.number(m.energyKept())));
        }
        ReportPage.Table table = new ReportPage.Table("Modules", List.of("module", "layer", "action", "rank", "‖Δ‖",
                "relative error", "energy kept"), rows);
        return new ReportPage("jmerge report: extract-lora", facts, sections, table, r.invocation());
    }
}

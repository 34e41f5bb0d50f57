package dev.jmerge.extract;

import dev.jmerge.error.MergeException;
import dev.jmerge.report.ExtractReport;
import dev.jmerge.report.ExtractReportFiles;
import dev.jmerge.report.TensorNames;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code extract-lora --report}: the plan's modules with what their decomposition kept, as report files. */
final class ExtractReports {

    private ExtractReports() {}

    static ExtractReport of(ExtractionPlan plan, LoraExtraction.Result result, String invocation) {
        Map<String, LoraExtraction.Decomposed> byName = new HashMap<>();
        for (LoraExtraction.Decomposed d : result.decomposed()) byName.put(d.module(), d);
        List<ExtractReport.Module> modules = new ArrayList<>();
        for (ExtractionPlan.Step s : plan.steps()) {
            String name = s.module().name();
            Integer layer = TensorNames.layer(s.module().weight());
            LoraExtraction.Decomposed d = byName.get(name);
            modules.add(switch (s.action()) {
                case DECOMPOSE -> new ExtractReport.Module(name, layer, ExtractReport.Action.DECOMPOSED, d.rank(),
                        d.deltaNorm(), d.relativeError(), d.energyKept());
                case FULL_RANK -> new ExtractReport.Module(name, layer, ExtractReport.Action.FULL_RANK, null, null, null, null);
                case LEFT_OUT -> new ExtractReport.Module(name, layer, ExtractReport.Action.LEFT_OUT, null, null, null, null);
            });
        }
        return new ExtractReport(plan.ft().label(), plan.base().label(), plan.options().maxRank(), modules, invocation);
    }

    static void write(ExtractionPlan plan, LoraExtraction.Result result, String invocation, Path dir) {
        try {
            ExtractReportFiles.write(dir, of(plan, result, invocation));
        } catch (UncheckedIOException e) {
            throw new MergeException(dir + ": cannot write the report (" + e.getCause().getMessage() + ")", e);
        }
    }
}

package dev.jmerge.run;

import dev.jmerge.config.ModelReference;
import dev.jmerge.error.MergeException;
import dev.jmerge.exec.TensorStats;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedTensor;
import dev.jmerge.report.MergeReport;
import dev.jmerge.report.ReportFiles;
import dev.jmerge.report.TensorNames;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Collects the executor's per-tensor numbers of one plan (from its worker threads) and turns them into the
 * {@link MergeReport} of {@code --report}: indices become the model names the config wrote, sums become
 * norms, cosines and shares.
 */
public final class MergeStatistics implements TensorStats.Sink {

    private final Map<String, TensorStats> byName = new ConcurrentHashMap<>();
    private final int baseModel;

    /** Numbers of {@code plan}'s tensors, task vectors taken against the config's base_model where it is an input. */
    MergeStatistics(Plan plan) {
        int base = -1;
        for (LoadedModel m : plan.models()) if (m.ref().equals(plan.config().baseModel())) base = m.index();
        this.baseModel = base;
    }

    @Override
    public int referenceModel() { return baseModel; }

    @Override
    public void accept(TensorStats s) { byName.put(s.name(), s); }

    /** Whether tensor {@code name}'s numbers are in. */
    public boolean has(String name) { return byName.containsKey(name); }

    /**
     * The report of {@code plan}, tensors in plan order.
     *
     * @param merged whether the output was written (else only the inputs were read)
     */
    public MergeReport report(Plan plan, boolean merged) {
        ModelReference baseRef = plan.config().baseModel();
        String base = null;
        List<String> models = new ArrayList<>();
        for (LoadedModel m : plan.models()) {
            if (m.ref().equals(baseRef)) base = m.label();
            else models.add(m.label());
        }
        List<MergeReport.Tensor> tensors = new ArrayList<>();
        for (PlannedTensor t : plan.tensors()) {
            TensorStats s = byName.get(t.name());
            if (s != null) tensors.add(tensor(plan, s));
        }
        return new MergeReport(plan.method().name(), base, models, tensors, plan.config().yamlText(), merged);
    }

    /** Writes the report of {@code plan} into {@code dir}. */
    public void write(Plan plan, boolean merged, Path dir) {
        try {
            ReportFiles.write(dir, report(plan, merged));
        } catch (UncheckedIOException e) {
            throw new MergeException(dir + ": cannot write the report (" + e.getCause().getMessage() + ")", e);
        }
    }

    private static MergeReport.Tensor tensor(Plan plan, TensorStats s) {
        String[] label = labels(plan, s.models());
        // the vectors in config order (the plan's model order), which orders the cosine pairs
        Integer[] order = new Integer[s.vectors().length];
        for (int a = 0; a < order.length; a++) order[a] = a;
        Arrays.sort(order, (a, b) -> Integer.compare(s.models()[s.vectors()[a]], s.models()[s.vectors()[b]]));
        Map<String, Double> norms = new LinkedHashMap<>();
        Map<String, Double> cosines = new LinkedHashMap<>();
        double[][] g = s.gram();
        for (int x = 0; x < order.length; x++) {
            int a = order[x];
            norms.put(label[s.vectors()[a]], Math.sqrt(g[a][a]));
            for (int y = x + 1; y < order.length; y++) {
                int b = order[y];
                double den = Math.sqrt(g[a][a]) * Math.sqrt(g[b][b]);
                cosines.put(MergeReport.pair(label[s.vectors()[a]], label[s.vectors()[b]]),
                        den > 0 ? Math.clamp(g[a][b] / den, -1.0, 1.0) : Double.NaN);
            }
        }
        Map<String, Double> kept = null;
        for (int x = 0; x < order.length; x++) {
            int i = s.vectors()[order[x]];
            if (s.kept()[i] < 0) continue;
            if (kept == null) kept = new LinkedHashMap<>();
            kept.put(label[i], s.numel() == 0 ? 0.0 : (double) s.kept()[i] / s.numel());
        }
        Double out = Double.isNaN(s.outputSquared()) ? null : Math.sqrt(s.outputSquared());
        Double t = Double.isNaN(s.interpolation()) ? null : s.interpolation();
        boolean hasBase = s.baseIndex() >= 0;
        return new MergeReport.Tensor(s.name(), TensorNames.layer(s.name()), hasBase ? norms : null,
                hasBase ? cosines : null, t, kept, hasBase ? out : null, hasBase ? null : norms,
                hasBase ? null : cosines, hasBase ? null : out, s.numel());
    }

    /** The config's name of each input's model; a model read twice for one tensor gets "#2", "#3"... */
    private static String[] labels(Plan plan, int[] models) {
        String[] out = new String[models.length];
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < models.length; i++) {
            String l = plan.models().get(models[i]).label();
            int n = seen.merge(l, 1, Integer::sum);
            out[i] = n == 1 ? l : l + "#" + n;
        }
        return out;
    }
}

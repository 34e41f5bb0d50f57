package dev.jmerge.moe;

import dev.jmerge.config.MoeConfig;
import dev.jmerge.error.MergeException;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.report.MergeReport;
import dev.jmerge.report.MoeReport;
import dev.jmerge.tensor.DType;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The numbers of {@code jmerge moe --report}: the router rows as written (rounded to the output dtype), and per
 * layer the experts' MLP task vectors against the base ({@link MoeReport}), from the sums the build took while it
 * copied them ({@link ExpertSums}).
 */
final class MoeStatistics {

    private MoeStatistics() {}

    /** Writes report.json and report.html of {@code plan} into {@code dir}. */
    static void write(MoePlan plan, MoeGates.Result gates, Kernels kernels, ExpertSums sums, Path dir) {
        MoeReport report = of(plan, gates, kernels, sums);
        try {
            report.write(dir);
        } catch (UncheckedIOException e) {
            throw new MergeException(dir + ": cannot write the report (" + e.getCause().getMessage() + ")", e);
        }
    }

    static MoeReport of(MoePlan plan, MoeGates.Result gates, Kernels kernels, ExpertSums sums) {
        List<String> gateLabels = labels(plan.gateExperts());
        List<String> expertLabels = labels(plan.config().experts());
        DType gateType = gateType(plan);
        List<MoeReport.Layer> layers = new ArrayList<>();
        for (int layer = 0; layer < plan.layers(); layer++) {
            double[][] rows = rounded(gates.rows()[layer], gateType, kernels);
            double[][] g = new double[rows.length][rows.length];
            for (int a = 0; a < rows.length; a++) {
                for (int b = a; b < rows.length; b++) {
                    double s = 0;
                    for (int i = 0; i < rows[a].length; i++) s += rows[a][i] * rows[b][i];
                    g[a][b] = g[b][a] = s;
                }
            }
            Map<String, Double> gateNorm = new LinkedHashMap<>(), gateCos = new LinkedHashMap<>();
            fill(gateLabels, g, gateNorm, gateCos);
            Map<String, Double> tvNorm = new LinkedHashMap<>(), tvCos = new LinkedHashMap<>();
            taskVectors(sums, layer, expertLabels, tvNorm, tvCos);
            layers.add(new MoeReport.Layer(layer, gateNorm, gateCos, tvNorm, tvCos));
        }
        return new MoeReport(plan.base().label(), plan.config().gateMode().yamlName(), gateLabels, expertLabels,
                layers, plan.config().yamlText());
    }

    /** Norms and cosines of {@code layer}'s task vectors, in config order; experts left out of the layer have none. */
    private static void taskVectors(ExpertSums sums, int layer, List<String> labels, Map<String, Double> norms,
                                    Map<String, Double> cosines) {
        List<String> present = new ArrayList<>();
        for (int i : sums.experts(layer)) present.add(labels.get(i));
        Map<String, Double> n2 = new HashMap<>(), c2 = new HashMap<>();
        fill(present, sums.gram(layer), n2, c2);
        for (String l : labels) if (n2.containsKey(l)) norms.put(l, n2.get(l));
        for (int a = 0; a < labels.size(); a++) {
            for (int b = a + 1; b < labels.size(); b++) {
                String p = MergeReport.pair(labels.get(a), labels.get(b));
                if (c2.containsKey(p)) cosines.put(p, c2.get(p));
            }
        }
    }

    /** Norms and pairwise cosines (NaN where a vector is zero) from a Gram matrix over {@code labels}. */
    private static void fill(List<String> labels, double[][] g, Map<String, Double> norms,
                             Map<String, Double> cosines) {
        for (int a = 0; a < labels.size(); a++) norms.put(labels.get(a), Math.sqrt(g[a][a]));
        for (int a = 0; a < labels.size(); a++) {
            for (int b = a + 1; b < labels.size(); b++) {
                double den = Math.sqrt(g[a][a]) * Math.sqrt(g[b][b]);
                cosines.put(MergeReport.pair(labels.get(a), labels.get(b)),
                        den > 0 ? Math.clamp(g[a][b] / den, -1.0, 1.0) : Double.NaN);
            }
        }
    }

    /** A layer's router rows as the output stores them: float32, then the gate tensor's dtype. */
    private static double[][] rounded(double[][] rows, DType type, Kernels kernels) {
        int h = rows[0].length;
        float[] f = new float[h];
        MemorySegment bytes = Arena.ofAuto().allocate((long) h * type.byteSize(), 8);
        double[][] out = new double[rows.length][h];
        for (int r = 0; r < rows.length; r++) {
            for (int i = 0; i < h; i++) f[i] = (float) rows[r][i];
            kernels.fromFloat(f, 0, bytes, 0, type, h);
            kernels.toFloat(bytes, 0, type, f, 0, h);
            for (int i = 0; i < h; i++) out[r][i] = f[i];
        }
        return out;
    }

    private static DType gateType(MoePlan plan) {
        for (MoeTensor t : plan.tensors()) if (t.source() instanceof MoeTensor.Gate) return t.dtype();
        return plan.dtype();
    }

    /** Each expert's source model as the config wrote it; a model used again gets "#2", "#3"... */
    private static List<String> labels(List<MoeConfig.Expert> experts) {
        List<String> out = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (MoeConfig.Expert e : experts) {
            String l = e.sourceModel().toString();
            int n = seen.merge(l, 1, Integer::sum);
            out.add(n == 1 ? l : l + "#" + n);
        }
        return out;
    }
}

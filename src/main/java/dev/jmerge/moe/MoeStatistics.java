package dev.jmerge.moe;

import dev.jmerge.config.MoeConfig;
import dev.jmerge.error.MergeException;
import dev.jmerge.exec.Futures;
import dev.jmerge.exec.TensorStreams;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.report.MergeReport;
import dev.jmerge.report.MoeReport;
import dev.jmerge.report.TensorKind;
import dev.jmerge.report.TensorNames;
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
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The numbers of {@code jmerge moe --report}: the router rows as written (rounded to the output dtype), and per
 * layer the experts' MLP task vectors against the base ({@link MoeReport}). The build copies expert tensors byte for
 * byte and never reads the base's MLP, so the task vectors take one more read of those tensors, a layer per worker,
 * decoded block by block into L2 and summed there ({@link Kernels#gram}) in float64; an expert that is the base
 * model is not read again (its task vector is zero).
 */
final class MoeStatistics {

    /**
     * Elements read from each stream at a time: the blocks of all streams (32 KB each) stay in L2. The loop over them
     * runs once per layer, so most of it runs in the interpreter or OSR code: larger blocks mean fewer of its slow
     * iterations (with 1024, JFR sampled the interpreted loop and the per-call code around the decoder more often than
     * the sums; the command's CPU did not measurably change with 8192).
     */
    private static final int BLOCK = 8192;

    private MoeStatistics() {}

    /** Writes report.json and report.html of {@code plan} into {@code dir}. */
    static void write(MoePlan plan, MoeGates.Result gates, Kernels kernels, int threads, Path dir) {
        MoeReport report = of(plan, gates, kernels, threads);
        try {
            report.write(dir);
        } catch (UncheckedIOException e) {
            throw new MergeException(dir + ": cannot write the report (" + e.getCause().getMessage() + ")", e);
        }
    }

    static MoeReport of(MoePlan plan, MoeGates.Result gates, Kernels kernels, int threads) {
        List<String> gateLabels = labels(plan.gateExperts());
        List<String> expertLabels = labels(plan.config().experts());
        List<LoadedModel> expertModels = new ArrayList<>();
        for (MoeConfig.Expert e : plan.config().experts()) expertModels.add(model(plan, e));
        DType gateType = gateType(plan);
        List<Future<MoeReport.Layer>> layers = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "jmerge-moe-report");
            t.setDaemon(true);
            return t;
        });
        try (TensorStreams streams = new TensorStreams(kernels)) {
            for (int l = 0; l < plan.layers(); l++) {
                int layer = l;
                layers.add(pool.submit(() -> {
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
                    taskVectors(plan.base(), expertModels, expertLabels, layer, streams, kernels, tvNorm, tvCos);
                    return new MoeReport.Layer(layer, gateNorm, gateCos, tvNorm, tvCos);
                }));
            }
            Futures.awaitAll(layers, "MoE report");
            List<MoeReport.Layer> out = new ArrayList<>();
            for (Future<MoeReport.Layer> f : layers) out.add(f.resultNow());
            return new MoeReport(plan.base().label(), plan.config().gateMode().yamlName(), gateLabels, expertLabels,
                    out, plan.config().yamlText());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Sums the Gram matrix of the experts' task vectors over the base's MLP tensors of {@code layer}; an expert
     * whose model lacks one of them (or has it in another shape) is left out of the layer.
     */
    private static void taskVectors(LoadedModel base, List<LoadedModel> experts, List<String> labels, int layer,
                                    TensorStreams streams, Kernels kernels, Map<String, Double> norms,
                                    Map<String, Double> cosines) {
        TreeSet<String> names = new TreeSet<>();
        for (String n : base.weights().names()) {
            if (Integer.valueOf(layer).equals(TensorNames.layer(n)) && TensorKind.of(n) == TensorKind.MLP) names.add(n);
        }
        if (names.isEmpty()) return;
        List<Integer> in = new ArrayList<>();
        for (int e = 0; e < experts.size(); e++) {
            LoadedModel m = experts.get(e);
            boolean all = true;
            for (String n : names) all &= m.weights().has(n) && m.info(n).shape().equals(base.info(n).shape());
            if (all) in.add(e);
        }
        int v = in.size();
        // an expert that is the base model itself has a task vector of zeros: its slot shares the base's block
        // instead of reading the same tensor again
        float[][] blocks = new float[v + 1][BLOCK];
        float[][] vectors = new float[v][];
        List<Integer> read = new ArrayList<>();
        for (int a = 0; a < v; a++) {
            boolean isBase = experts.get(in.get(a)).ref().equals(base.ref());
            vectors[a] = isBase ? blocks[v] : blocks[a];
            if (!isBase) read.add(a);
        }
        double[] gram = new double[v * v];
        for (String n : names) {
            List<TensorStreams.Stream> open = new ArrayList<>();
            for (int a : read) open.add(streams.open(experts.get(in.get(a)), n));
            open.add(streams.open(base, n));
            try {
                long numel = base.info(n).numel();
                for (long off = 0; off < numel; off += BLOCK) {
                    int k = (int) Math.min(BLOCK, numel - off);
                    for (int s = 0; s < read.size(); s++) open.get(s).read(off, blocks[read.get(s)], 0, k);
                    open.getLast().read(off, blocks[v], 0, k);
                    kernels.gram(vectors, v, blocks[v], k, gram);
                }
            } finally {
                open.forEach(TensorStreams.Stream::finish);
            }
        }
        double[][] g = new double[v][v];
        for (int a = 0; a < v; a++) for (int b = a; b < v; b++) g[a][b] = g[b][a] = gram[a * v + b];
        List<String> present = new ArrayList<>();
        for (int i : in) present.add(labels.get(i));
        Map<String, Double> n2 = new HashMap<>(), c2 = new HashMap<>();
        fill(present, g, n2, c2);
        // in config order, experts left out of the layer having no entry
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

    private static LoadedModel model(MoePlan plan, MoeConfig.Expert e) {
        for (LoadedModel m : plan.models()) if (m.ref().equals(e.sourceModel())) return m;
        throw new IllegalStateException("expert model " + e.sourceModel() + " was not planned");
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

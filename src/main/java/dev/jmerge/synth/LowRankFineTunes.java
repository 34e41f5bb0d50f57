package dev.jmerge.synth;

import dev.jmerge.io.safetensors.SafetensorsFormat;
import dev.jmerge.error.MergeException;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A fine-tune whose weight changes look like real ones to a low-rank factorisation: each matrix moves by a
 * sum of {@code rank} rank-one terms with geometrically falling strengths plus a little full-rank noise,
 * vectors (norms, biases) by noise alone. Written from any base folder (one safetensors file), deterministic
 * in the seed; small models only (every element sums {@code rank} terms).
 *
 * @param rank      rank-one terms per matrix
 * @param decay     ratio of successive terms' strengths
 * @param size      ‖Δ‖_F of a matrix relative to the base's spread times √(rows·cols)
 * @param noise     share of ‖Δ‖²_F that is full-rank noise
 */
public record LowRankFineTunes(int rank, double decay, double size, double noise) {

    private static final int CHUNK = 1 << 16;

    /** Writes {@code base} changed as described into {@code out}, with the base's config.json. */
    public void write(Path base, Path out, long seed) {
        try (ModelWeights w = ModelWeights.open(base)) {
            Files.createDirectories(out);
            List<TensorSpec> specs = new ArrayList<>();
            for (String n : w.names()) specs.add(new TensorSpec(n, w.info(n).dtype(), w.info(n).shape()));
            Kernels k = KernelsProvider.get();
            try (SafetensorsWriter sw = SafetensorsWriter.create(out.resolve(SafetensorsFormat.SINGLE_FILE), specs)) {
                for (String n : w.names()) fill(k, w, n, sw.tensorSegment(n), seed);
                sw.finish();
            }
            Files.copy(base.resolve("config.json"), out.resolve("config.json"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new MergeException(out + ": cannot write the fine-tune (" + e.getMessage() + ")", e);
        }
    }

    private void fill(Kernels k, ModelWeights w, String name, MemorySegment dst, long seed) {
        TensorInfo info = w.info(name);
        long[] shape = info.shape().dims();
        int n = Math.toIntExact(info.numel());
        float[] v = new float[n];
        k.toFloat(w.segment(name), 0, info.dtype(), v, 0, n);
        if (info.dtype().isFloating() && n > 0) {
            long key = Noise.key(seed, name);
            double spread = Math.sqrt(meanSquare(v));
            int rows = (int) shape[0], cols = shape.length == 2 ? (int) shape[1] : 1;
            double total = size * spread * Math.sqrt((double) n);
            double noiseSigma = Math.sqrt(shape.length == 2 ? noise : 1) * total / Math.sqrt(n);
            for (int i = 0; i < n; i++) v[i] += (float) (noiseSigma * Noise.gaussian(key, i));
            if (shape.length == 2) addLowRank(v, rows, cols, total * Math.sqrt(1 - noise), key);
        }
        k.fromFloat(v, 0, dst, 0, info.dtype(), n);
    }

    /** Σ_p σ_p·u_p·v_pᵀ with unit-norm Gaussian u_p, v_p and Σσ_p² = norm². */
    private void addLowRank(float[] v, int rows, int cols, double norm, long key) {
        double sumSq = 0;
        for (int p = 0; p < rank; p++) sumSq += Math.pow(decay, 2 * p);
        double[][] u = new double[rank][], w = new double[rank][];
        double[] s = new double[rank];
        for (int p = 0; p < rank; p++) {
            u[p] = unit(key + 31L * p + 1, rows);
            w[p] = unit(key + 31L * p + 2, cols);
            s[p] = norm * Math.pow(decay, p) / Math.sqrt(sumSq);
        }
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double d = 0;
                for (int p = 0; p < rank; p++) d += s[p] * u[p][i] * w[p][j];
                v[i * cols + j] += (float) d;
            }
        }
    }

    private static double[] unit(long key, int n) {
        double[] x = new double[n];
        double ss = 0;
        for (int i = 0; i < n; i++) {
            x[i] = Noise.gaussian(Noise.mix(key), i);
            ss += x[i] * x[i];
        }
        double inv = 1 / Math.sqrt(ss);
        for (int i = 0; i < n; i++) x[i] *= inv;
        return x;
    }

    private static double meanSquare(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return s / v.length;
    }
}

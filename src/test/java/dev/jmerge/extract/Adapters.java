package dev.jmerge.extract;

import dev.jmerge.io.ModelWeights;
import dev.jmerge.io.safetensors.SafetensorsFile;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.kernels.ScalarKernels;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Test helpers: whole (small) safetensors files and model folders as float64 matrices. */
final class Adapters {

    /** A tensor's shape and values. */
    record Matrix(long[] shape, double[] v) {
        int rows() { return (int) shape[0]; }
        int cols() { return shape.length > 1 ? (int) shape[1] : 1; }
        double get(int i, int j) { return v[i * cols() + j]; }
    }

    private Adapters() {}

    static Map<String, Matrix> read(SafetensorsFile f) {
        Map<String, Matrix> out = new LinkedHashMap<>();
        for (TensorInfo t : f.tensors().values()) out.put(t.name(), matrix(t, f.segment(t)));
        return out;
    }

    static Map<String, Matrix> adapter(Path folder) {
        try (SafetensorsFile f = SafetensorsFile.open(folder.resolve("adapter_model.safetensors"))) {
            return read(f);
        }
    }

    static Map<String, Matrix> model(Path folder) {
        Map<String, Matrix> out = new LinkedHashMap<>();
        try (ModelWeights w = ModelWeights.open(folder)) {
            for (String n : w.names()) out.put(n, matrix(w.info(n), w.segment(n)));
        }
        return out;
    }

    private static Matrix matrix(TensorInfo t, java.lang.foreign.MemorySegment seg) {
        float[] f = new float[Math.toIntExact(t.numel())];
        new ScalarKernels().toFloat(seg, 0, t.dtype(), f, 0, f.length);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return new Matrix(t.shape().dims(), d);
    }

    /** {@code a − b}, element by element. */
    static double[] minus(Matrix a, Matrix b) {
        double[] d = new double[a.v().length];
        for (int i = 0; i < d.length; i++) d[i] = a.v()[i] - b.v()[i];
        return d;
    }

    /** {@code B·A} ({@code [out, r]·[r, in]}) in float64. */
    static double[] product(Matrix b, Matrix a) {
        int rows = b.rows(), r = b.cols(), cols = a.cols();
        double[] p = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < r; k++) {
                double bk = b.get(i, k);
                for (int j = 0; j < cols; j++) p[i * cols + j] += bk * a.get(k, j);
            }
        }
        return p;
    }

    /** The transpose of a row-major {@code rows × cols} matrix. */
    static double[] transpose(double[] m, int rows, int cols) {
        double[] t = new double[m.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
        return t;
    }

    static double norm(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.sqrt(s);
    }

    static double distance(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (x[i] - y[i]) * (x[i] - y[i]);
        return Math.sqrt(s);
    }
}

package dev.jmerge.methods;

/** The element rules shared by {@link Ram} and {@link RamPlusTl}. */
final class RamMath {

    private RamMath() {}

    static String check(String method, int models, boolean hasBase) {
        if (hasBase && models >= 1) return null;
        return method + " needs base_model and at least one other model; " + Inputs.got(models, hasBase);
    }

    /** Per model: {unique active entries, shared active entries} over the whole tensor. */
    static long[][] count(MergeInput in, int base, int[] idx, float eps) {
        int n = idx.length;
        long[][] counts = new long[n][2];
        float[][] t = in.tiles(n + 1);
        float[] b = t[n];
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            load(in, base, idx, t, b, off, len);
            for (int e = 0; e < len; e++) {
                int c = 0;
                for (int i = 0; i < n; i++) if (Math.abs(t[i][e]) > eps) c++;
                if (c == 0) continue;
                int kind = c == 1 ? 0 : 1;
                for (int i = 0; i < n; i++) if (Math.abs(t[i][e]) > eps) counts[i][kind]++;
            }
        });
        return counts;
    }

    /** {@code out = b + Σ_i δ_i·[active]·(c == 1 ? λ_i : 1/c)}, c = number of active models at the element. */
    static void write(MergeInput in, TensorOutput out, int base, int[] idx, float eps, float[] lambda) {
        int n = idx.length;
        float[][] t = in.tiles(n + 1);
        float[] b = t[n];
        Tiles.forEach(in.numel(), in.chunkSize(), (off, len) -> {
            load(in, base, idx, t, b, off, len);
            for (int e = 0; e < len; e++) {
                int c = 0;
                for (int i = 0; i < n; i++) if (Math.abs(t[i][e]) > eps) c++;
                float sum = 0;
                for (int i = 0; i < n; i++) {
                    float d = t[i][e];
                    if (!(Math.abs(d) > eps)) continue;
                    sum += c == 1 ? d * lambda[i] : d / c;
                }
                b[e] += sum;
            }
            out.write(off, b, 0, len);
        });
    }

    private static void load(MergeInput in, int base, int[] idx, float[][] t, float[] b, long off, int len) {
        in.read(base, off, b, 0, len);
        for (int i = 0; i < idx.length; i++) {
            in.read(idx[i], off, t[i], 0, len);
            in.kernels().sub(t[i], b, t[i], len);
        }
    }
}

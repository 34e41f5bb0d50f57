package dev.jmerge.methods.sparsify;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.methods.ArrayInput;
import dev.jmerge.methods.Params;

/** Drives a {@link TorchSelection} over an array in tiles, as a merge does, and reads back its verdicts. */
final class Selections {

    private Selections() {}

    /**
     * A tie scratch for a tensor of {@code n} elements, lent as the default {@link dev.jmerge.methods.MergeInput}
     * does, on the kernels a merge of this process runs (the Vector API ones where the module is present).
     */
    static TieScratch scratch(int n) { return scratch(n, KernelsProvider.get()); }

    static TieScratch scratch(int n, Kernels kernels) {
        return new TieScratch(new ArrayInput("t", new long[] {n}, new float[][] {new float[n]}, -1, Params.empty())
                .kernels(kernels));
    }

    /** Which elements of {@code x} the selection keeps (zeros included), running its passes with tiles of {@code tile}. */
    static boolean[] kept(TorchSelection s, float[] x, int tile) {
        int n = x.length;
        float[] buf = new float[tile];
        while (s.wantsPass()) {
            for (int off = 0; off < n; off += tile) {
                int len = Math.min(tile, n - off);
                System.arraycopy(x, off, buf, 0, len);
                s.observe(off, buf, len);
            }
            s.endPass();
        }
        boolean[] out = new boolean[n];
        if (s.keepsNothing()) return out;
        TorchSelection.Mask m = (TorchSelection.Mask) s.mask();
        for (int off = 0; off < n; off += tile) {
            int len = Math.min(tile, n - off);
            System.arraycopy(x, off, buf, 0, len);
            System.arraycopy(m.kept(off, buf, len), 0, out, off, len);
        }
        return out;
    }

    /** The elements at positions {@code [from, to)} of {@code order}. */
    static boolean[] slice(int[] order, int n, int from, int to) {
        boolean[] out = new boolean[n];
        for (int p = Math.max(0, from); p < to; p++) out[order[p]] = true;
        return out;
    }
}

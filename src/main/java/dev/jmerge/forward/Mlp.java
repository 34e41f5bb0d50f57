package dev.jmerge.forward;

import dev.jmerge.kernels.Kernels;

/** A SwiGLU MLP, {@code down(silu(gate(x)) · up(x))}: a dense layer's, or one expert's. */
record Mlp(Linear gate, Linear up, Linear down) {

    int intermediate() { return gate.out(); }

    /**
     * {@code out[r] = down(silu(gate(in[r])) · up(in[r]))} for {@code r < rows}; {@code g} and {@code u} hold at
     * least {@code rows × intermediate()} floats of scratch.
     */
    void apply(Kernels k, Parallel par, float[] in, int rows, float[] g, float[] u, float[] out) {
        gate.apply(k, par, in, rows, g);
        up.apply(k, par, in, rows, u);
        for (int i = 0; i < rows * intermediate(); i++) {
            float a = g[i];
            g[i] = (float) (a / (1.0 + Math.exp(-a))) * u[i];
        }
        down.apply(k, par, g, rows, out);
    }
}

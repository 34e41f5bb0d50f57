package dev.jmerge.forward;

import dev.jmerge.tensor.Shape;
import dev.jmerge.error.ConfigException;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.kernels.Kernels;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The forward pass of a Llama, Mistral, Qwen2, Qwen3, Mixtral or Qwen3-MoE causal language model in float32
 * activations, with the weights read in place from the model's mapped safetensors (any float dtype, sharded or
 * not). Pre-norm decoder layers: RMSNorm, grouped-query attention with rotary embeddings (optional q/k/v biases,
 * Qwen3's per-head q/k norms, sliding windows), RMSNorm, SwiGLU MLP or a mixture of SwiGLU experts
 * ({@link SparseMlp}); a final RMSNorm and the output head (tied or not).
 * Thread-safe for sequential calls; the workers are the instance's own.
 */
public final class Transformer implements AutoCloseable {

    /** Rows of the MLP computed together: bounds its intermediate activations to MLP_ROWS × intermediate. */
    private static final int MLP_ROWS = 512;
    /** Logits computed at once, rows × vocabulary columns: 4M floats (16 MB). */
    private static final int LOGIT_FLOATS = 1 << 22;

    private final ModelConfig config;
    private final ModelWeights weights;
    private final Kernels kernels;
    private final Parallel par;
    private final Linear embed;
    private final Layer[] layers;
    private final float[] finalNorm;
    private final Linear head;

    private Transformer(ModelConfig config, ModelWeights weights, Kernels kernels, int threads) {
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
        Loader l = new Loader(weights, config);
        int h = config.hidden(), d = config.headDim();
        embed = l.matrix("model.embed_tokens.weight", -1, h);
        layers = new Layer[config.layers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            int qOut = config.heads() * d, kvOut = config.kvHeads() * d;
            boolean sparse = config.moe() != null && config.moe().sparseLayers()[i];
            int inter = config.intermediate();
            layers[i] = new Layer(l.vector(p + "input_layernorm.weight", h),
                    l.linear(p + "self_attn.q_proj", qOut, h), l.linear(p + "self_attn.k_proj", kvOut, h),
                    l.linear(p + "self_attn.v_proj", kvOut, h), l.linear(p + "self_attn.o_proj", h, qOut),
                    l.optionalVector(p + "self_attn.q_norm.weight", d), l.optionalVector(p + "self_attn.k_norm.weight", d),
                    l.vector(p + "post_attention_layernorm.weight", h),
                    sparse ? null : new Mlp(l.linear(p + "mlp.gate_proj", inter, h), l.linear(p + "mlp.up_proj", inter, h),
                            l.linear(p + "mlp.down_proj", h, inter)),
                    sparse ? l.sparseMlp(p, config.moe(), h) : null, config.slidingWindow()[i]);
        }
        finalNorm = l.vector("model.norm.weight", h);
        head = config.tiedEmbeddings() ? embed : l.matrix("lm_head.weight", -1, h);
        this.par = new Parallel(threads);
    }

    /**
     * Opens the model in {@code folder} (config.json and weights). An architecture, activation or rope type the
     * forward pass does not implement, or a tensor missing or of the wrong shape, is a {@link ConfigException}.
     */
    public static Transformer open(Path folder, Kernels kernels, int threads) {
        ModelConfig config = ModelConfig.read(folder);
        ModelWeights weights = ModelWeights.open(folder);
        try {
            return new Transformer(config, weights, kernels, threads);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    public ModelConfig config() { return config; }

    /** Token ids the input embedding has rows for. */
    public int inputVocab() { return embed.out(); }

    /** Logits per position: the output head's row count. */
    public int outputVocab() { return head.out(); }

    /** Logits of every position of one sequence ({@code tokens.length × outputVocab()}). */
    public float[][] logits(int[] tokens) {
        Batch b = Batch.of(tokens);
        float[] hn = forward(b, null);
        float[] y = new float[b.rows() * head.out()];
        head.apply(kernels, par, hn, b.rows(), y);
        float[][] out = new float[b.rows()][];
        for (int r = 0; r < b.rows(); r++) out[r] = Arrays.copyOfRange(y, r * head.out(), (r + 1) * head.out());
        return out;
    }

    /** Summed negative log-likelihood of the tokens each sequence predicts (its 2nd to last), and their count. */
    public record Loss(double nll, long predicted) {}

    /** The loss of {@code sequences}, run as one batch (each from position 0, none attending to another). */
    public Loss loss(List<int[]> sequences) {
        int total = 0;
        for (int[] s : sequences) total += s.length;
        int[] tokens = new int[total], pos = new int[total], targets = new int[total], starts = new int[sequences.size() + 1];
        int r = 0;
        for (int s = 0; s < sequences.size(); s++) {
            int[] seq = sequences.get(s);
            starts[s] = r;
            for (int i = 0; i < seq.length; i++, r++) {
                tokens[r] = seq[i];
                pos[r] = i;
                targets[r] = i + 1 < seq.length ? seq[i + 1] : -1;
            }
        }
        starts[sequences.size()] = r;
        Batch b = new Batch(tokens, pos, starts);
        float[] hn = forward(b, null);
        return OutputLoss.of(kernels, par, head, hn, b.rows(), targets, LOGIT_FLOATS);
    }

    /** Receives the residual stream entering each layer ({@code rows × hidden}); must not keep the array. */
    interface LayerObserver {
        void entering(int layer, float[] state, Batch batch);
    }

    /**
     * Pooled hidden states entering each layer for a left-padded batch (see {@link HiddenStates}).
     *
     * @return {@code [layer][sequence][hidden]}
     */
    public float[][][] hiddenStates(int[][] ids, int[][] attentionMask, HiddenStates.Pooling pooling) {
        return HiddenStates.compute(this, ids, attentionMask, pooling);
    }

    void run(Batch b, LayerObserver observer) { forward(b, observer); }

    /** The final-normed hidden states of every row. */
    private float[] forward(Batch b, LayerObserver observer) {
        int rows = b.rows(), h = config.hidden(), d = config.headDim();
        int vocab = embed.out();
        float[] x = new float[rows * h];
        long rowBytes = (long) h * embed.dtype().byteSize();
        for (int r = 0; r < rows; r++) {
            int t = b.tokens()[r];
            if (t < 0 || t >= vocab) {
                throw new ConfigException("token id " + t + " is outside the model's vocabulary (0.." + (vocab - 1) + ")");
            }
            kernels.toFloat(embed.data(), t * rowBytes, embed.dtype(), x, r * h, h);
        }
        Rotary rotary = new Rotary(config.rope(), b);
        float[] xn = new float[rows * h];
        float[] q = new float[rows * config.heads() * d];
        float[] k = new float[rows * config.kvHeads() * d];
        float[] v = new float[rows * config.kvHeads() * d];
        float[] att = new float[rows * config.heads() * d];
        float[] proj = new float[rows * h];
        for (int li = 0; li < layers.length; li++) {
            if (observer != null) observer.entering(li, x, b);
            Layer L = layers[li];
            rmsNorm(x, rows, h, L.inputNorm(), xn);
            L.q().apply(kernels, par, xn, rows, q);
            L.k().apply(kernels, par, xn, rows, k);
            L.v().apply(kernels, par, xn, rows, v);
            if (L.qNorm() != null) rmsNorm(q, rows * config.heads(), d, L.qNorm(), q);
            if (L.kNorm() != null) rmsNorm(k, rows * config.kvHeads(), d, L.kNorm(), k);
            rotary.apply(q, b, config.heads());
            rotary.apply(k, b, config.kvHeads());
            Attention.run(kernels, par, b, q, k, v, config.heads(), config.kvHeads(), d, L.window(), att);
            L.o().apply(kernels, par, att, rows, proj);
            for (int i = 0; i < x.length; i++) x[i] += proj[i];
            rmsNorm(x, rows, h, L.postNorm(), xn);
            if (L.moe() != null) {
                for (int r0 = 0; r0 < rows; r0 += MLP_ROWS) L.moe().apply(kernels, par, xn, r0, Math.min(MLP_ROWS, rows - r0), h, x);
            } else {
                mlp(L, xn, rows, x);
            }
        }
        rmsNorm(x, rows, h, finalNorm, xn);
        return xn;
    }

    /** {@code x += down(silu(gate(xn)) · up(xn))}, {@link #MLP_ROWS} rows at a time. */
    private void mlp(Layer L, float[] xn, int rows, float[] x) {
        int h = config.hidden(), inter = config.intermediate();
        int chunk = Math.min(rows, MLP_ROWS);
        float[] in = new float[chunk * h], g = new float[chunk * inter], u = new float[chunk * inter], dn = new float[chunk * h];
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            System.arraycopy(xn, r0 * h, in, 0, n * h);
            L.mlp().apply(kernels, par, in, n, g, u, dn);
            for (int i = 0; i < n * h; i++) x[r0 * h + i] += dn[i];
        }
    }

    /** transformers' RMSNorm: {@code w · (x · rsqrt(mean(x²) + eps))}, per row of {@code width}; may run in place. */
    private void rmsNorm(float[] x, int rows, int width, float[] w, float[] out) {
        float eps = (float) config.rmsEps();
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double ss = 0;
            for (int i = 0; i < width; i++) ss += (double) x[o + i] * x[o + i];
            float inv = (float) (1.0 / Math.sqrt((float) (ss / width) + eps));
            for (int i = 0; i < width; i++) out[o + i] = w[i] * (x[o + i] * inv);
        }
    }

    @Override
    public void close() {
        par.close();
        weights.close();
    }

    /** Finds and checks the tensors, naming the model folder and the tensor in every error. */
    private record Loader(ModelWeights w, ModelConfig config) {

        Linear linear(String prefix, int out, int in) {
            Linear m = matrix(prefix + ".weight", out, in);
            float[] bias = optionalVector(prefix + ".bias", out);
            return bias == null ? m : new Linear(m.name(), m.data(), m.dtype(), m.out(), m.in(), bias);
        }

        /** A 2-D tensor {@code [out, in]}; {@code out} -1 accepts any row count. */
        Linear matrix(String name, int out, int in) {
            TensorInfo info = require(name);
            Shape s = info.shape();
            if (s.rank() != 2 || (out >= 0 && s.dim(0) != out) || s.dim(1) != in || s.dim(0) > Integer.MAX_VALUE) {
                throw new ConfigException(w.folder() + ": tensor '" + name + "' has shape " + s
                        + ", expected [" + (out >= 0 ? out : "rows") + ", " + in + "] from config.json");
            }
            return new Linear(name, w.segment(name), info.dtype(), (int) s.dim(0), in, null);
        }

        float[] vector(String name, int n) {
            TensorInfo info = require(name);
            if (!info.shape().equals(Shape.of(n))) {
                throw new ConfigException(w.folder() + ": tensor '" + name + "' has shape "
                        + info.shape() + ", expected [" + n + "] from config.json");
            }
            float[] v = new float[n];
            MemorySegment seg = w.segment(name);
            dev.jmerge.kernels.ScalarLoops.toFloat(seg, 0, info.dtype(), v, 0, n);
            return v;
        }

        float[] optionalVector(String name, int n) { return w.has(name) ? vector(name, n) : null; }

        /**
         * A layer's experts and router, in any of the layouts checkpoints use: transformers v5's stacked
         * {@code mlp.experts.gate_up_proj [E, 2I, H]} (each expert's gate rows, then its up rows) and
         * {@code mlp.experts.down_proj [E, H, I]}; one tensor per expert ({@code mlp.experts.N.gate_proj}); or
         * Mixtral's original {@code block_sparse_moe.experts.N.w1/w3/w2}.
         */
        SparseMlp sparseMlp(String p, ModelConfig.Moe moe, int h) {
            int n = moe.experts(), inter = moe.intermediate();
            Mlp[] experts = new Mlp[n];
            Linear router;
            if (w.has(p + "mlp.experts.gate_up_proj")) {
                router = matrix(p + "mlp.gate.weight", n, h);
                String gu = p + "mlp.experts.gate_up_proj", dn = p + "mlp.experts.down_proj";
                TensorInfo a = stacked(gu, n, 2L * inter, h), b = stacked(dn, n, h, inter);
                long block = (long) inter * h;
                for (int e = 0; e < n; e++) {
                    experts[e] = new Mlp(slice(gu, a, 2L * e * block, inter, h),
                            slice(gu, a, (2L * e + 1) * block, inter, h), slice(dn, b, e * block, h, inter));
                }
            } else if (w.has(p + "block_sparse_moe.gate.weight")) {
                router = matrix(p + "block_sparse_moe.gate.weight", n, h);
                for (int e = 0; e < n; e++) {
                    String x = p + "block_sparse_moe.experts." + e + ".";
                    experts[e] = new Mlp(matrix(x + "w1.weight", inter, h), matrix(x + "w3.weight", inter, h),
                            matrix(x + "w2.weight", h, inter));
                }
            } else {
                router = matrix(p + "mlp.gate.weight", n, h);
                for (int e = 0; e < n; e++) {
                    String x = p + "mlp.experts." + e + ".";
                    experts[e] = new Mlp(matrix(x + "gate_proj.weight", inter, h),
                            matrix(x + "up_proj.weight", inter, h), matrix(x + "down_proj.weight", h, inter));
                }
            }
            return new SparseMlp(router, experts, moe.topK(), moe.normTopK());
        }

        private TensorInfo stacked(String name, long n, long rows, long cols) {
            TensorInfo info = require(name);
            long[] s = info.shape().dims();
            if (s.length != 3 || s[0] != n || s[1] != rows || s[2] != cols) {
                throw new ConfigException(w.folder() + ": tensor '" + name + "' has shape " + Arrays.toString(s)
                        + ", expected [" + n + ", " + rows + ", " + cols + "] from config.json");
            }
            return info;
        }

        /** Rows of a stacked tensor as one matrix {@code [out, in]}, starting at element {@code offset}. */
        private Linear slice(String name, TensorInfo info, long offset, int out, int in) {
            long bs = info.dtype().byteSize();
            return new Linear(name, w.segment(name).asSlice(offset * bs, (long) out * in * bs), info.dtype(), out, in, null);
        }

        private TensorInfo require(String name) {
            if (!w.has(name)) {
                throw new ConfigException(w.folder() + ": tensor '" + name + "' is missing; " + config.architecture()
                        + " needs it");
            }
            TensorInfo info = w.info(name);
            if (!info.dtype().isFloating()) {
                throw new ConfigException(w.folder() + ": tensor '" + name + "' is " + info.dtype().safetensorsName()
                        + ", expected a floating-point type");
            }
            return info;
        }
    }
}

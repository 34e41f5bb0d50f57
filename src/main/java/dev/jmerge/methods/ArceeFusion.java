package dev.jmerge.methods;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.List;

/**
 * mergekit {@code arcee_fusion}: keeps the other model's change only where its importance
 * {@code |p − b| · KL(softmax(p) ‖ softmax(b))} (KL per vector along the last axis) reaches
 * {@code median + 1.5·IQR} of all importances. Pass 1 measures the rows' KL and gathers the importances
 * (all of them, or a seeded sample of {@value #SAMPLE} for larger tensors, as mergekit samples); pass 2 writes.
 */
public final class ArceeFusion implements MergeMethod {

    /** mergekit sorts at most this many importance values (a random subset of larger tensors). */
    static final int SAMPLE = 1_000_000;
    private static final double SOFTMAX_EPS = 1e-8;

    @Override public String name() { return "arcee_fusion"; }
    @Override public String prettyName() { return "Arcee Fusion"; }
    @Override public String reference() { return "https://arcee.ai"; }
    @Override public BaseModelRule baseModel() { return BaseModelRule.REQUIRED; }
    @Override public List<ParamSpec> globalParameters() { return List.of(); }
    @Override public List<ParamSpec> modelParameters() { return List.of(); }

    /** Importance sampling draws random numbers for tensors above {@value #SAMPLE} elements. */
    @Override public boolean isStochastic() { return true; }

    @Override
    public String checkInputs(int models, boolean hasBase) {
        return Inputs.baseAndOneOther(name(), models, hasBase);
    }

    @Override
    public void merge(MergeInput in, TensorOutput out) {
        int other = Inputs.otherThanBase(in, name(), out);
        if (other < 0) return;
        int base = 1 - other;
        int cols = Inputs.lastAxis(in);
        long numel = in.numel();
        if (numel == 0) return;
        long rows = numel / cols;
        double[] kl = new double[Math.toIntExact(rows)];
        float[][] tl = in.tiles(2, cols);
        float[] b = tl[0], p = tl[1];

        Sampler sampler = new Sampler(numel, in.seed(), in.tensorName());
        Tiles.forEachRows(rows, cols, cols, (off, len) -> {
            in.read(base, off, b, 0, len);
            in.read(other, off, p, 0, len);
            int row = (int) (off / cols);
            kl[row] = rowKl(p, b, len);
            float k = (float) kl[row];
            for (int e = 0; e < len; e++) sampler.offer(off + e, Math.abs(p[e] - b[e]) * k);
        });
        float threshold = sampler.threshold();

        Tiles.forEachRows(rows, cols, cols, (off, len) -> {
            in.read(base, off, b, 0, len);
            in.read(other, off, p, 0, len);
            float k = (float) kl[(int) (off / cols)];
            for (int e = 0; e < len; e++) {
                float delta = p[e] - b[e];
                float mask = Math.abs(delta) * k >= threshold ? 1f : 0f;
                p[e] = b[e] + delta * mask;
            }
            out.write(off, p, 0, len);
        });
    }

    /** Σ P·log(P/Q) with P = softmax(p) + 1e-8, Q = softmax(b) + 1e-8. */
    static double rowKl(float[] p, float[] b, int len) {
        double mp = Double.NEGATIVE_INFINITY, mb = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < len; e++) {
            mp = Math.max(mp, p[e]);
            mb = Math.max(mb, b[e]);
        }
        double sp = 0, sb = 0;
        for (int e = 0; e < len; e++) {
            sp += Math.exp(p[e] - mp);
            sb += Math.exp(b[e] - mb);
        }
        double kl = 0;
        for (int e = 0; e < len; e++) {
            double pe = Math.exp(p[e] - mp) / sp + SOFTMAX_EPS;
            double qe = Math.exp(b[e] - mb) / sb + SOFTMAX_EPS;
            kl += pe * Math.log(pe / qe);
        }
        return kl;
    }

    /**
     * Keeps every importance value, or for tensors above {@link #SAMPLE} elements exactly {@link #SAMPLE} of
     * them drawn without replacement (selection sampling, Knuth's algorithm S: each subset equally likely).
     * The draw depends only on the seed, the tensor name and the element order, never on the chunk size.
     */
    private static final class Sampler {
        private final float[] kept;
        private final long total;
        private final SplittableRandom random;
        private int count;

        Sampler(long total, long seed, String tensor) {
            this.total = total;
            this.kept = new float[(int) Math.min(total, SAMPLE)];
            this.random = total > SAMPLE ? new SplittableRandom(seed ^ nameHash(tensor)) : null;
        }

        void offer(long index, float value) {
            if (random == null) {
                kept[count++] = value;
            } else if (count < kept.length
                    && random.nextDouble() * (total - index) < kept.length - count) {
                kept[count++] = value;
            }
        }

        float threshold() {
            Arrays.sort(kept, 0, count); // NaN sorts last, as in torch.sort
            float median = quantile(0.5), q1 = quantile(0.25), q3 = quantile(0.75);
            return median + 1.5f * (q3 - q1);
        }

        private float quantile(double q) {
            return kept[(int) Math.floor(q * (count - 1))];
        }

        private static long nameHash(String s) {
            long h = 0xcbf29ce484222325L; // FNV-1a: stable across JVMs, unlike String.hashCode's spread
            for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
                h ^= c & 0xff;
                h *= 0x100000001b3L;
            }
            return h;
        }
    }
}

package dev.jmerge.methods.sparsify;

/**
 * mergekit's {@code rescale}: multiplies the sparsified vector by {@code ‖δ‖₁ / ‖masked δ‖₁} over the whole
 * tensor, unless either norm is below 1e-7. Needs one more pass after the inner mask is known. The norms are
 * summed element by element in index order in float64, so they do not depend on how tiles were cut.
 */
final class L1Rescale implements MaskBuilder {

    private static final double EPS = 1e-7;

    private final MaskBuilder inner;
    private final float[] scratch;
    private TileMask innerMask;
    private double before;
    private double after;
    private boolean done;

    L1Rescale(MaskBuilder inner, float[] scratch) {
        this.inner = inner;
        this.scratch = scratch;
    }

    @Override
    public boolean wantsPass() {
        if (inner.wantsPass()) return true;
        return !inner.waiting() && !done;
    }

    @Override public boolean waiting() { return inner.waiting(); }

    @Override
    public void observe(long offset, float[] delta, int len) {
        if (inner.wantsPass()) {
            inner.observe(offset, delta, len);
            return;
        }
        if (innerMask == null) innerMask = inner.mask();
        System.arraycopy(delta, 0, scratch, 0, len);
        innerMask.apply(offset, scratch, len);
        double b = before;
        double a = after;
        for (int i = 0; i < len; i++) {
            b += Math.abs(delta[i]);
            a += Math.abs(scratch[i]);
        }
        before = b;
        after = a;
    }

    @Override
    public void endPass() {
        if (inner.wantsPass()) inner.endPass();
        else done = true;
    }

    @Override
    public TileMask mask() {
        TileMask m = innerMask != null ? innerMask : inner.mask();
        if (before < EPS || after < EPS) return m;
        double ratio = before / after;
        return (offset, delta, len) -> {
            m.apply(offset, delta, len);
            for (int i = 0; i < len; i++) delta[i] = (float) (delta[i] * ratio);
        };
    }
}

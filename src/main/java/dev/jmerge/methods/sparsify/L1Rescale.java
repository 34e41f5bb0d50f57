package dev.jmerge.methods.sparsify;

/**
 * mergekit's {@code rescale}: multiplies the sparsified vector by {@code ‖δ‖₁ / ‖masked δ‖₁} over the whole
 * tensor, unless either norm is below 1e-7. Needs one more pass after the inner mask is known. The norms are
 * summed per tile in float64 (a fixed lane order inside the tile, tiles in index order), so they depend only
 * on the tensor and the run's fixed tiling.
 *
 * <p>The inner masks only zero elements, and drawing them is most of the work for the random ones (DARE draws a
 * number per element, DELLA ranks each row too), so the pass that measures the norms keeps one bit per element
 * saying whether it survived, and the output pass replays those bits instead of masking again: for tensors up
 * to {@link #MEMO_LIMIT} elements, a bit set of {@link #memoBytes} per model.
 */
final class L1Rescale implements MaskBuilder {

    private static final double EPS = 1e-7;
    /** Largest tensor whose keep bits are remembered: 2^27 elements, a 16 MB bit set per model. */
    static final long MEMO_LIMIT = 1L << 27;

    private final MaskBuilder inner;
    private final float[] scratch;
    private final dev.jmerge.kernels.Kernels kernels;
    private final long[] memo;
    private TileMask innerMask;
    private double before;
    private double after;
    private boolean done;

    /**
     * Each worker thread's keep-bit sets, one per input index, kept from tensor to tensor: fresh ones per tensor
     * (8 MB a model for a 32000×2048 embedding) were garbage the serial collector promoted and let the old
     * generation grow on, ~100 MB of peak RSS above the estimate for dare_ties and della.
     */
    private static final ThreadLocal<long[][]> MEMOS = ThreadLocal.withInitial(() -> new long[0][]);

    /**
     * @param numel elements of the tensor (whether its keep bits are remembered)
     * @param model the input index of the task vector: a merge call masks each input once, so its bit set is free
     */
    L1Rescale(MaskBuilder inner, float[] scratch, dev.jmerge.kernels.Kernels kernels, long numel, int model) {
        this.inner = inner;
        this.scratch = scratch;
        this.kernels = kernels;
        this.memo = numel > 0 && numel <= MEMO_LIMIT ? memo(model, Math.toIntExact((numel + 63) >>> 6)) : null;
    }

    /** This thread's cleared bit set for input {@code model}, at least {@code words} long. */
    private static long[] memo(int model, int words) {
        long[][] held = MEMOS.get();
        if (model >= held.length) {
            held = java.util.Arrays.copyOf(held, model + 1);
            MEMOS.set(held);
        }
        long[] bits = held[model];
        if (bits == null || bits.length < words) {
            bits = new long[words];
            held[model] = bits;
        } else {
            java.util.Arrays.fill(bits, 0, words, 0L);
        }
        return bits;
    }

    /** Bytes of remembered keep bits for one model's tensor of {@code numel} elements (0 when not remembered). */
    static long memoBytes(long numel) {
        return numel > MEMO_LIMIT ? 0 : ((numel + 63) >>> 6) * Long.BYTES;
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
        before += kernels.sumAbs(delta, len);
        after += kernels.sumAbs(scratch, len);
        if (memo != null) record(offset, len);
    }

    /** The inner selection's pass may take keys; the norms' pass needs the values. */
    @Override
    public boolean observesKeys() { return inner.wantsPass() && inner.observesKeys(); }

    @Override
    public void observeKeys(long offset, int[] keys, int len) { inner.observeKeys(offset, keys, len); }

    /** A dropped element became +0; one that survives is non-zero, or zero either way. */
    private void record(long offset, int len) {
        long[] bits = memo;
        for (int i = 0; i < len; i++) {
            long e = offset + i;
            bits[(int) (e >>> 6)] |= (scratch[i] != 0 ? 1L : 0L) << e; // each element recorded once
        }
    }

    @Override
    public void endPass() {
        if (inner.wantsPass()) inner.endPass();
        else done = true;
    }

    @Override
    public TileMask mask() {
        TileMask m = memo != null ? this::replay : innerMask != null ? innerMask : inner.mask();
        if (before < EPS || after < EPS) return m;
        double ratio = before / after;
        return (offset, delta, len) -> {
            m.apply(offset, delta, len);
            kernels.scaleWide(ratio, delta, len);
        };
    }

    private void replay(long offset, float[] delta, int len) {
        long[] bits = memo;
        for (int i = 0; i < len; i++) {
            long e = offset + i;
            int keep = (int) -((bits[(int) (e >>> 6)] >>> e) & 1L);
            delta[i] = Float.intBitsToFloat(Float.floatToRawIntBits(delta[i]) & keep);
        }
    }
}

package dev.jmerge.methods.sparsify;

/**
 * Builds one model's {@link TileMask} from passes over its task vector. The driver asks
 * {@link #wantsPass()}; if so it feeds every tile of {@code δ} in index order to {@link #observe} and then
 * calls {@link #endPass()}; once no pass is wanted and the builder is not {@link #waiting()}, {@link #mask()}
 * is ready.
 */
public interface MaskBuilder {

    boolean wantsPass();

    /**
     * Whether the builder needs another pass but must wait for memory another builder of the same merge call
     * holds ({@link TieScratch}); that builder gives it back at the end of its pass.
     */
    default boolean waiting() { return false; }

    void observe(long offset, float[] delta, int len);

    /**
     * Whether the pass under way needs only the task vector's magnitude keys ({@link MagnitudeKey}), which the driver
     * may then hand to {@link #observeKeys} instead of the task vector to {@link #observe}.
     */
    default boolean observesKeys() { return false; }

    /**
     * As {@link #observe}, given {@code keys[i] = MagnitudeKey.of(delta[i])}; may overwrite {@code keys}. Only while
     * {@link #observesKeys}.
     */
    default void observeKeys(long offset, int[] keys, int len) { throw new UnsupportedOperationException(); }

    void endPass();

    TileMask mask();

    /** A builder whose mask needs no statistics. */
    static MaskBuilder ready(TileMask mask) {
        return new MaskBuilder() {
            @Override public boolean wantsPass() { return false; }
            @Override public void observe(long offset, float[] delta, int len) { throw new IllegalStateException(); }
            @Override public void endPass() { throw new IllegalStateException(); }
            @Override public TileMask mask() { return mask; }
        };
    }
}

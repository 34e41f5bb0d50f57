package dev.jmerge.methods.sparsify;

/** TIES trim: keeps the {@code k} largest magnitudes; among equal magnitudes the earlier elements win. */
final class MagnitudeMask implements MaskBuilder {

    private final RadixSelect select;
    private Cut cut;

    MagnitudeMask(long n, long k) {
        this.select = new RadixSelect(n, true, n - k);
    }

    @Override public boolean wantsPass() { return select.wantsPass(); }

    @Override public void observe(long offset, float[] delta, int len) { select.observe(offset, delta, 0, len); }

    @Override
    public void endPass() {
        select.endPass();
        if (!select.wantsPass()) cut = select.cut(0);
    }

    @Override
    public TileMask mask() {
        Cut c = cut;
        return (offset, delta, len) -> {
            for (int i = 0; i < len; i++) {
                if (!c.admits(Cut.magnitudeBits(delta[i]), offset + i)) delta[i] = 0f;
            }
        };
    }
}

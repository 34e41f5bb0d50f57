package dev.jmerge.methods.sparsify;

/**
 * Breadcrumbs: keeps ascending magnitude ranks {@code [bot, n − top)}, i.e. drops the smallest and the
 * {@code top} largest. Ties follow a stable ascending sort (earlier elements rank lower).
 */
final class OutlierMask implements MaskBuilder {

    private final RadixSelect select;
    private final boolean lowerBound;
    private Cut lower;
    private Cut upper;

    /** {@code bot < upperRank < n} and {@code bot >= 0}; an empty keep range is handled by the caller. */
    OutlierMask(long n, long bot, long upperRank) {
        this.lowerBound = bot > 0;
        this.select = lowerBound ? new RadixSelect(n, false, bot, upperRank) : new RadixSelect(n, false, upperRank);
    }

    @Override public boolean wantsPass() { return select.wantsPass(); }

    @Override public void observe(long offset, float[] delta, int len) { select.observe(offset, delta, 0, len); }

    @Override
    public void endPass() {
        select.endPass();
        if (!select.wantsPass()) {
            lower = lowerBound ? select.cut(0) : null;
            upper = select.cut(lowerBound ? 1 : 0);
        }
    }

    @Override
    public TileMask mask() {
        Cut lo = lower;
        Cut hi = upper;
        return (offset, delta, len) -> {
            for (int i = 0; i < len; i++) {
                int b = Cut.magnitudeBits(delta[i]);
                long idx = offset + i;
                boolean keep = (lo == null || lo.admits(b, idx)) && !hi.admits(b, idx);
                if (!keep) delta[i] = 0f;
            }
        };
    }
}

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
        int cb = c.bits();
        // Whether an element is kept is a coin toss to the branch predictor; a bit mask keeps the common
        // case (magnitude differs from the cut) branch-free. Kept values keep their exact bits, dropped
        // ones become +0 as before; only magnitudes equal to the cut need the index rule.
        return (offset, delta, len) -> {
            for (int i = 0; i < len; i++) {
                int raw = Float.floatToRawIntBits(delta[i]);
                int b = raw & 0x7FFF_FFFF;
                if (b == cb) {
                    if (!c.admits(b, offset + i)) delta[i] = 0f;
                } else {
                    delta[i] = Float.intBitsToFloat(raw & ((cb - b) >> 31)); // b > cb: all ones, else zero
                }
            }
        };
    }
}

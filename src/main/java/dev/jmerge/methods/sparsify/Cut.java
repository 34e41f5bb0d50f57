package dev.jmerge.methods.sparsify;

/**
 * A rank threshold in the total order of a tensor's elements by magnitude, ties broken by index. The order
 * is that of a stable sort: ascending ({@code lowIndexIsGreater == false}: among equal magnitudes the
 * earlier element ranks lower) or descending ({@code true}: the earlier element ranks higher, i.e. comes
 * first in a descending listing). {@code bits} are the float bits of the magnitude at the threshold.
 */
public record Cut(int bits, long index, boolean lowIndexIsGreater) {

    /** Whether the element with magnitude bits {@code b} at {@code idx} ranks at or above this cut. */
    public boolean admits(int b, long idx) {
        if (b != bits) return b > bits;
        return lowIndexIsGreater ? idx <= index : idx >= index;
    }

    /** Magnitude bits of a float: non-negative floats order like their int bits (NaN above infinity). */
    public static int magnitudeBits(float v) {
        return Float.floatToRawIntBits(v) & 0x7FFF_FFFF;
    }
}

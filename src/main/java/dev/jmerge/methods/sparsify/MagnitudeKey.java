package dev.jmerge.methods.sparsify;

/**
 * The int that orders magnitudes the way torch's comparators do: {@code |v|}'s float bits (non-negative
 * floats order like their bits, ±0 both become 0) with every NaN mapped to one key above infinity, since
 * torch treats all NaNs as equal and sorts them first in descending order. Keys lie in {@code [0, MAX]}.
 */
public final class MagnitudeKey {

    /** The key of every NaN: the smallest NaN bit pattern, just above infinity's. */
    public static final int MAX = dev.jmerge.kernels.ScalarLoops.MAX_MAGNITUDE_KEY;

    private MagnitudeKey() {}

    public static int of(float v) {
        return Math.min(Float.floatToRawIntBits(v) & 0x7FFF_FFFF, MAX);
    }

    /** Each worker's tile of keys, kept from tensor to tensor (a fresh one per tensor would be garbage to promote). */
    private static final ThreadLocal<int[]> TILE = ThreadLocal.withInitial(() -> new int[0]);

    /** This thread's key tile, at least {@code len} long (contents undefined). */
    static int[] tile(int len) {
        int[] keys = TILE.get();
        if (keys.length < len) {
            keys = new int[len];
            TILE.set(keys);
        }
        return keys;
    }
}

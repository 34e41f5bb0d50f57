package dev.jmerge.kernels;

/**
 * The two 8-bit float formats of safetensors. E4M3FN: bias 7, 3 mantissa bits, no infinities, only
 * {@code S.1111.111} is NaN (largest finite 448). E5M2: the upper byte of an IEEE half.
 */
final class Float8 {

    private static final float[] E4M3 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            int e = (b >>> 3) & 0xF;
            int m = b & 7;
            float mag;
            if (e == 0xF && m == 7) mag = Float.NaN;
            else if (e == 0) mag = m / 8f * 0x1p-6f;
            else mag = (1 + m / 8f) * (float) Math.pow(2, e - 7);
            E4M3[b] = (b & 0x80) != 0 ? -mag : mag;
        }
    }

    private Float8() {}

    static float e4m3ToFloat(byte b) { return E4M3[b & 0xFF]; }

    static float e5m2ToFloat(byte b) { return Float.float16ToFloat((short) ((b & 0xFF) << 8)); }

    /** Nearest E4M3FN value, ties to even; magnitudes past the rounding edge of 448 become NaN. */
    static byte floatToE4m3(float v) {
        if (Float.isNaN(v)) return (byte) 0x7F;
        int sign = (Float.floatToRawIntBits(v) >>> 31) << 7;
        float a = Math.abs(v);
        if (a >= 464f) return (byte) (sign | 0x7F);
        int lo = 0, hi = 126; // codes 0..126 are the finite magnitudes, increasing
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (E4M3[mid] <= a) lo = mid; else hi = mid - 1;
        }
        int code = lo;
        if (code < 126) {
            float below = a - E4M3[code], above = E4M3[code + 1] - a;
            if (above < below || (above == below && (code & 1) == 1)) code++;
        }
        return (byte) (sign | code);
    }

    /** Round-to-nearest-even on the half's low byte. */
    static byte floatToE5m2(float v) {
        int h = Float.floatToFloat16(v) & 0xFFFF;
        if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0) return (byte) ((h >>> 8) | 0x02);
        int lsb = (h >>> 8) & 1;
        int r = h + 0x7F + lsb;
        return (byte) (r >>> 8);
    }
}

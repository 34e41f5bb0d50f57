package dev.jmerge.exec;

import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.tensor.DType;
import java.util.function.Consumer;

/**
 * Counts the NaN and infinite values a method writes to one tensor, as they will be stored: a finite float
 * that rounds to infinity in a 16-bit output counts as infinite. Inputs' NaN and Inf reach the output
 * through the method, so this sees both those and the ones a method produces. The encoder reports each
 * range's largest magnitude ({@code Kernels.fromFloat}), so ranges of ordinary values cost nothing here.
 */
final class NonFiniteCount {

    private final DType dtype;
    /** Magnitude bits at or below which a float is finite in the output dtype; above them, check exactly. */
    private final int safeBits;
    private long nan;
    private long inf;

    NonFiniteCount(DType dtype) {
        this.dtype = dtype;
        this.safeBits = switch (dtype) {
            case F16 -> Float.floatToRawIntBits(65504f);
            case BF16 -> 0x7F7F_7FFF; // the largest float that does not round to a bf16 infinity
            case F32 -> Float.floatToRawIntBits(Float.MAX_VALUE);
            default -> Integer.MAX_VALUE; // integers and 8-bit floats saturate or wrap: nothing to count
        };
    }

    /** Counts in {@code src[off..off+len)}, whose largest magnitude bits the encoder reported as {@code maxBits}. */
    void check(int maxBits, float[] src, int off, int len) {
        if (maxBits > safeBits) count(src, off, len);
    }

    private void count(float[] src, int off, int len) {
        if (!dtype.isFloating()) return;
        for (int i = off; i < off + len; i++) {
            float v = src[i];
            if (Float.isNaN(v)) nan++;
            else if (Float.isInfinite(v) || Float.isInfinite(stored(v))) inf++;
        }
    }

    private float stored(float v) {
        return switch (dtype) {
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            case BF16 -> ScalarKernels.bf16ToFloat(ScalarKernels.floatToBf16(v));
            default -> v;
        };
    }

    /** Reports the counts of tensor {@code name}, if there were any. */
    void report(String name, Consumer<Diagnostic> report) {
        if (nan + inf > 0) report.accept(new Diagnostic.NonFinite(name, nan, inf));
    }
}

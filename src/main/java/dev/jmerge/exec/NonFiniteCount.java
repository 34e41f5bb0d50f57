package dev.jmerge.exec;

import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.methods.TensorOutput;
import dev.jmerge.tensor.DType;
import java.util.function.Consumer;

/**
 * Counts the NaN and infinite values a method writes to one tensor, as they will be stored: a finite float
 * that rounds to infinity in a 16-bit output counts as infinite. Inputs' NaN and Inf reach the output
 * through the method, so this sees both those and the ones a method produces.
 */
final class NonFiniteCount implements TensorOutput {

    private final TensorOutput target;
    private final DType dtype;
    /** Below this magnitude a float is finite in the output dtype; at or above it, check exactly. */
    private final float safe;
    private long nan;
    private long inf;

    NonFiniteCount(TensorOutput target, DType dtype) {
        this.target = target;
        this.dtype = dtype;
        this.safe = switch (dtype) {
            case F16 -> 65504f;
            case BF16, F32 -> Float.MAX_VALUE;
            default -> Float.POSITIVE_INFINITY; // integers and 8-bit floats saturate or wrap: nothing to count
        };
    }

    @Override
    public void write(long offset, float[] src, int srcOff, int len) {
        // Magnitudes order like their bit patterns, NaN and Inf highest: one max over the bits decides
        // whether to look closer.
        int max = 0;
        for (int i = srcOff; i < srcOff + len; i++) max = Math.max(max, Float.floatToRawIntBits(src[i]) & 0x7FFFFFFF);
        if (max >= 0x7F800000 || Float.intBitsToFloat(max) > safe) count(src, srcOff, len);
        target.write(offset, src, srcOff, len);
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

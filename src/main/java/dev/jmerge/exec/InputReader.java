package dev.jmerge.exec;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.lora.LoraPatch;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Reads one input tensor as float32 in the output's shape: straight through when the shapes agree, row by
 * row when the input is a larger matrix cut to its top-left block. Values are first rounded to the config's
 * {@code dtype} when it is narrower than the stored one, as mergekit casts inputs on load.
 */
final class InputReader implements TensorReader {

    private final MemorySegment data;
    private final DType stored;
    private final DType roundTo;
    private final long inCols;
    private final long outCols;
    private final boolean direct;
    private final LoraPatch.LowRank lora;

    InputReader(MemorySegment data, DType stored, long[] inShape, long[] outShape, DType loadDtype) {
        this(data, stored, inShape, outShape, loadDtype, null);
    }

    /** @param lora a low-rank delta added to each value read (then rounded to the stored dtype), or null */
    InputReader(MemorySegment data, DType stored, long[] inShape, long[] outShape, DType loadDtype,
                LoraPatch.LowRank lora) {
        this.lora = lora;
        this.data = data;
        this.stored = stored;
        this.roundTo = narrowerFloat(loadDtype, stored) ? loadDtype : null;
        this.inCols = inShape.length >= 2 ? inShape[inShape.length - 1] : 1;
        this.outCols = outShape.length >= 2 ? outShape[outShape.length - 1] : 1;
        this.direct = numel(inShape) == numel(outShape);
    }

    static boolean narrowerFloat(DType load, DType stored) {
        return load != null && load != stored && load.isFloating() && stored.isFloating()
                && (load == DType.BF16 || load == DType.F16);
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    @Override
    public void read(Kernels k, long offset, float[] dst, int dstOff, int len) {
        if (direct) {
            k.toFloat(data, offset * stored.byteSize(), stored, dst, dstOff, len);
            if (lora != null) lora.addTo(k, offset, dst, dstOff, len);
        } else {
            int done = 0;
            while (done < len) {
                long e = offset + done;
                long row = e / outCols, col = e % outCols;
                int n = (int) Math.min(len - done, outCols - col);
                k.toFloat(data, (row * inCols + col) * stored.byteSize(), stored, dst, dstOff + done, n);
                if (lora != null) lora.addTo(k, row * inCols + col, dst, dstOff + done, n);
                done += n;
            }
        }
        if (lora != null) round(stored, dst, dstOff, len); // the merged weight lives in the stored dtype
        round(roundTo, dst, dstOff, len);
    }

    /** Rounds values to {@code to} (bf16 or f16) as a cast on load would; null leaves them. */
    static void round(DType to, float[] dst, int off, int len) {
        if (to == DType.BF16) {
            for (int i = off; i < off + len; i++) dst[i] = ScalarKernels.bf16ToFloat(ScalarKernels.floatToBf16(dst[i]));
        } else if (to == DType.F16) {
            for (int i = off; i < off + len; i++) dst[i] = Float.float16ToFloat(Float.floatToFloat16(dst[i]));
        }
    }
}

package dev.jmerge.io.safetensors;

import dev.jmerge.tensor.DType;

/** Element and byte counts of shapes, refusing negative dimensions and overflow of a long. */
final class Shapes {

    private Shapes() {}

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension " + d);
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    static long byteSize(long[] shape, DType dtype) {
        return Math.multiplyExact(numel(shape), (long) dtype.byteSize());
    }
}

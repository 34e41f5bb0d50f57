package dev.jmerge.io;

import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.util.Objects;

/**
 * One stored tensor as its file describes it, whatever the format: name, dtype, shape, and where its contiguous
 * little-endian bytes lie. {@code begin} and {@code end} are absolute byte positions in the file that holds it
 * (a safetensors header's {@code data_offsets} count from its data section; its reader adds that start).
 */
public record TensorInfo(String name, DType dtype, Shape shape, long begin, long end) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("bad byte range [" + begin + ", " + end + ") for " + name);
        }
        if (shape.byteSize(dtype) != end - begin) {
            throw new IllegalArgumentException("byte range of " + name + " does not match its shape and dtype");
        }
    }

    public int rank() { return shape.rank(); }

    public long dim(int axis) { return shape.dim(axis); }

    /** Number of elements: the product of the shape (1 for a scalar, 0 if any dimension is 0). */
    public long numel() { return shape.numel(); }

    /** Bytes of data: {@code end - begin}, equal to {@code numel() * dtype().byteSize()}. */
    public long byteSize() { return end - begin; }

    /** The same tensor under another name (an adapter's copy of a base tensor, read as that base tensor). */
    public TensorInfo named(String other) { return new TensorInfo(other, dtype, shape, begin, end); }

    @Override
    public String toString() {
        return name + " " + dtype.safetensorsName() + " " + shape + " @[" + begin + ", " + end + ")";
    }
}

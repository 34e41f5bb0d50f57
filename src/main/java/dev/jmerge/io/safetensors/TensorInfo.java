package dev.jmerge.io.safetensors;

import dev.jmerge.tensor.DType;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a safetensors file as its header describes it. {@code begin} and {@code end} are byte offsets
 * relative to the start of the data section (not the file), exactly as in the header's {@code data_offsets}.
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("bad data_offsets [" + begin + ", " + end + "] for " + name);
        }
        if (Shapes.byteSize(shape, dtype) != end - begin) {
            throw new IllegalArgumentException("data_offsets of " + name + " do not match its shape and dtype");
        }
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public long dim(int axis) { return shape[axis]; }

    /** Number of elements: the product of the shape (1 for a scalar, 0 if any dimension is 0). */
    public long numel() { return Shapes.numel(shape); }

    /** Bytes of data: {@code end - begin}, equal to {@code numel() * dtype().byteSize()}. */
    public long byteSize() { return end - begin; }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() { return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end); }

    @Override
    public String toString() {
        return name + " " + dtype.safetensorsName() + " " + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}

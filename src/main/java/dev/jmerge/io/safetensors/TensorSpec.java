package dev.jmerge.io.safetensors;

import dev.jmerge.tensor.DType;
import java.util.Arrays;
import java.util.Objects;

/** A tensor to be written: name, dtype and shape, before it has a place in a file. */
public record TensorSpec(String name, DType dtype, long[] shape) {

    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        Shapes.byteSize(shape, dtype); // rejects negative dimensions and sizes beyond a long
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public long numel() { return Shapes.numel(shape); }

    public long byteSize() { return Shapes.byteSize(shape, dtype); }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() { return Objects.hash(name, dtype, Arrays.hashCode(shape)); }

    @Override
    public String toString() { return name + " " + dtype.safetensorsName() + " " + Arrays.toString(shape); }
}

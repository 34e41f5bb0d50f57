package dev.jmerge.io.safetensors;

import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.util.Objects;

/** A tensor to be written: name, dtype and shape, before it has a place in a file. */
public record TensorSpec(String name, DType dtype, Shape shape) {

    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape.byteSize(dtype); // rejects sizes beyond a long
    }

    public long numel() { return shape.numel(); }

    public long byteSize() { return shape.byteSize(dtype); }

    @Override
    public String toString() { return name + " " + dtype.safetensorsName() + " " + shape; }
}

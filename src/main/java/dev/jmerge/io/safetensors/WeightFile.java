package dev.jmerge.io.safetensors;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;

/**
 * One file of model weights, mapped: a safetensors file or a PyTorch checkpoint. What {@link TensorInfo}'s
 * offsets count from is up to the format; only {@link #segment} interprets them.
 */
public interface WeightFile extends AutoCloseable {

    Path path();

    /** Tensors in file order. */
    Map<String, TensorInfo> tensors();

    /** The tensor's contiguous little-endian bytes, valid until {@link #close()}. */
    MemorySegment segment(TensorInfo info);

    /** Absolute position of the tensor's first byte in the file (for positional reads). */
    long fileOffset(TensorInfo info);

    @Override
    void close();
}

package dev.jmerge.io;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;

/**
 * One file of model weights, mapped whole: a safetensors file or a PyTorch checkpoint (see {@link WeightFormat}).
 * Its tensors' {@link TensorInfo#begin()} are positions in this file.
 */
public interface WeightFile extends AutoCloseable {

    Path path();

    /** Tensors in file order. */
    Map<String, TensorInfo> tensors();

    /**
     * The tensor's contiguous little-endian bytes, a slice of the mapping of the whole file (so the mapping starts
     * {@code info.begin()} bytes before it), valid until {@link #close()}.
     */
    MemorySegment segment(TensorInfo info);

    @Override
    void close();
}

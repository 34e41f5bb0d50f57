package dev.jmerge.exec;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;

/** One input of a tensor job, read as float32 in the output's shape, {@code len} elements from {@code offset}. */
interface TensorReader {

    void read(Kernels k, long offset, float[] dst, int dstOff, int len);

    /**
     * The bytes the values of the read of {@code [offset, offset+len)} were decoded from, when those values are
     * exactly their decoding as {@link #sourceType()} and the bytes stay readable while the tensor is merged
     * (a slice of a mapping); else null. Lets a report look at a tile again without keeping a copy.
     */
    default MemorySegment source(long offset, int len) { return null; }

    /** The dtype {@link #source} decodes as. */
    default DType sourceType() { return null; }

    /** Called once the tensor is done: lets a reader give back what it held (e.g. mapped pages). */
    default void finish() {}
}

package dev.jmerge.exec;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;

/** One input of a tensor job, read as float32 in the output's shape, {@code len} elements from {@code offset}. */
interface TensorReader {

    void read(Kernels k, long offset, float[] dst, int dstOff, int len);

    /**
     * The bytes the values of the read of {@code [offset, offset+len)} were decoded from, when those values are
     * exactly their decoding as {@link #storedType()} and the bytes stay readable while the tensor is merged
     * (a slice of a mapping); else null. Lets a report look at a tile again without keeping a copy.
     */
    default MemorySegment source(long offset, int len) { return null; }

    /**
     * The dtype of the bytes {@link #stored} and {@link #source} hand out when reads are plain decodes of them, else
     * null.
     */
    default DType storedType() { return null; }

    /**
     * The bytes of {@code [offset, offset+len)} for a caller that decodes them itself ({@link #storedType} not null),
     * counted as a read: pages are released behind them as behind {@link #read}'s.
     */
    default MemorySegment stored(long offset, int len) { throw new UnsupportedOperationException(); }

    /** Called once the tensor is done: lets a reader give back what it held (e.g. mapped pages). */
    default void finish() {}
}

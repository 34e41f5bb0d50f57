package dev.jmerge.exec;

import dev.jmerge.kernels.Kernels;

/** One input of a tensor job, read as float32 in the output's shape, {@code len} elements from {@code offset}. */
interface TensorReader {

    void read(Kernels k, long offset, float[] dst, int dstOff, int len);

    /** Called once the tensor is done: lets a reader give back what it held (e.g. mapped pages). */
    default void finish() {}
}

package dev.jmerge.methods;

/** Where a method writes its result, as float32 ranges of the output tensor (the writer rounds once). */
public interface TensorOutput {

    /** Writes {@code src[srcOff..srcOff+len)} to elements {@code [offset, offset+len)} of the output. */
    void write(long offset, float[] src, int srcOff, int len);
}

package dev.jmerge.io;

import dev.jmerge.kernels.Kernels;

/** A change to a tensor's values applied while it is read (a LoRA adapter's low-rank term or bias). */
public interface ValueDelta {

    /** Adds the change to {@code dst[dstOff, dstOff + len)}, holding elements {@code [flat, flat + len)} of the tensor. */
    void addTo(Kernels k, long flat, float[] dst, int dstOff, int len);
}

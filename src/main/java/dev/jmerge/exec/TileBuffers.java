package dev.jmerge.exec;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-thread float buffers reused across tensors, so a merge allocates its working memory once. Within one
 * tensor every request gets distinct arrays; {@link #reset()} hands them all back when the tensor is done.
 */
final class TileBuffers {

    private final List<float[]> pool = new ArrayList<>();
    private int cursor;

    void reset() { cursor = 0; }

    float[][] get(int count, int length) {
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++, cursor++) {
            if (cursor == pool.size()) pool.add(new float[length]);
            else if (pool.get(cursor).length < length) pool.set(cursor, new float[length]);
            out[i] = pool.get(cursor);
        }
        return out;
    }

    /** Floats held, for the memory report. */
    long heldFloats() {
        long n = 0;
        for (float[] b : pool) n += b.length;
        return n;
    }
}

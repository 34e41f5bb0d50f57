package dev.jmerge.exec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-thread buffers reused across tensors, so a merge allocates its working memory once: float tiles for
 * the methods, and one direct byte buffer each for reading input bytes and encoding output bytes. Within one
 * tensor every tile request gets distinct arrays; {@link #reset()} hands them all back when the tensor is done.
 */
final class TileBuffers {

    private final List<float[]> pool = new ArrayList<>();
    private int cursor;
    private ByteBuffer read = ByteBuffer.allocateDirect(0);
    private ByteBuffer write = ByteBuffer.allocateDirect(0);

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

    /** The read buffer, cleared, limited to {@code n} bytes. */
    ByteBuffer readBuffer(int n) {
        if (read.capacity() < n) read = ByteBuffer.allocateDirect(n).order(ByteOrder.LITTLE_ENDIAN);
        return read.clear().limit(n);
    }

    /** The write buffer, cleared, limited to {@code n} bytes. */
    ByteBuffer writeBuffer(int n) {
        if (write.capacity() < n) write = ByteBuffer.allocateDirect(n).order(ByteOrder.LITTLE_ENDIAN);
        return write.clear().limit(n);
    }

    /** Bytes held (tiles and I/O buffers), for the memory report. */
    long heldBytes() {
        long n = 0;
        for (float[] b : pool) n += (long) b.length * Float.BYTES;
        return n + read.capacity() + write.capacity();
    }
}

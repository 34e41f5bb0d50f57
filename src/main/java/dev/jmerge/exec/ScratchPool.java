package dev.jmerge.exec;

import dev.jmerge.error.MergeException;
import dev.jmerge.methods.MergeInput;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Semaphore;

/**
 * The native scratch memory workers borrow ({@link MergeInput#scratch}), counted in MiB against the pool the
 * memory estimate set aside: a worker whose request does not fit waits until others give theirs back. Each
 * lease is its own allocation, freed (and so returned to the system) when closed.
 */
final class ScratchPool {

    private final Semaphore free;
    private final int capacity;

    ScratchPool(long bytes) {
        capacity = (int) Math.min(Integer.MAX_VALUE, mib(bytes));
        free = new Semaphore(capacity, true);
    }

    private static long mib(long bytes) { return (bytes + (1L << 20) - 1) >>> 20; }

    /** A lease of {@code bytes}; a request larger than the whole pool takes the whole pool. */
    MergeInput.Scratch lend(long bytes, String tensor) {
        int units = (int) Math.min(capacity, mib(bytes));
        try {
            free.acquire(units);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MergeException("merge interrupted", e);
        }
        Arena arena = Arena.ofConfined();
        MemorySegment segment;
        try {
            segment = arena.allocate(Math.max(1, bytes), Long.BYTES);
        } catch (OutOfMemoryError e) {
            arena.close();
            free.release(units);
            throw new MergeException("tensor '" + tensor + "': cannot allocate " + (mib(bytes)) + " MiB of scratch"
                    + " memory (" + e.getMessage() + ")", e);
        }
        return new MergeInput.Scratch() {
            private boolean closed;

            @Override public MemorySegment segment() { return segment; }

            @Override
            public void close() {
                if (closed) return;
                closed = true;
                arena.close();
                free.release(units);
            }
        };
    }
}

package dev.jmerge.exec;

import dev.jmerge.error.MergeException;
import dev.jmerge.methods.MergeInput;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The native scratch memory workers borrow ({@link MergeInput#scratch}), held within the pool the memory
 * estimate set aside: a worker whose request does not fit waits until others give theirs back. Blocks given
 * back are kept and lent again (fresh memory costs a page fault and zeroing per page, as much as using it),
 * and freed when a request needs the room or the run ends.
 */
final class ScratchPool implements AutoCloseable {

    private record Block(Arena arena, MemorySegment segment) {
        long size() { return segment.byteSize(); }
    }

    private final long capacity;
    private long held;
    private final List<Block> idle = new ArrayList<>();
    private boolean closed;

    ScratchPool(long capacity) { this.capacity = capacity; }

    /** A lease of at least {@code bytes}; a request larger than the whole pool waits until it has the pool alone. */
    MergeInput.Scratch lend(long bytes, String tensor) {
        long size = Math.max(1, bytes);
        Block block = reuseOrReserve(size);
        if (block == null) {
            Arena arena = Arena.ofShared();
            try {
                block = new Block(arena, arena.allocate(size, Long.BYTES));
            } catch (OutOfMemoryError e) {
                arena.close();
                synchronized (this) {
                    held -= size;
                    notifyAll();
                }
                throw new MergeException("tensor '" + tensor + "': cannot allocate " + (size >> 20) + " MiB of scratch"
                        + " memory (" + e.getMessage() + ")", e);
            }
        }
        Block lent = block;
        return new MergeInput.Scratch() {
            private boolean closed;

            @Override public MemorySegment segment() { return lent.segment().asSlice(0, size); }

            @Override
            public void close() {
                if (closed) return;
                closed = true;
                giveBack(lent);
            }
        };
    }

    /** The smallest idle block that fits, or null once room for a new one of {@code size} is reserved. */
    private synchronized Block reuseOrReserve(long size) {
        long room = Math.max(capacity, size);
        while (true) {
            Block best = null;
            for (Block b : idle) if (b.size() >= size && (best == null || b.size() < best.size())) best = b;
            if (best != null) {
                idle.remove(best);
                return best;
            }
            if (held + size <= room) {
                held += size;
                return null;
            }
            if (!idle.isEmpty()) {
                Block b = idle.removeLast();
                held -= b.size();
                b.arena().close();
                continue;
            }
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MergeException("merge interrupted", e);
            }
        }
    }

    private synchronized void giveBack(Block b) {
        if (closed) {
            b.arena().close();
            return;
        }
        idle.add(b);
        notifyAll();
    }

    /** Frees the idle blocks now and any lease still out when it is given back. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Block b : idle) b.arena().close();
        idle.clear();
    }
}

package dev.jmerge.methods.sparsify;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.methods.MergeInput;
import java.lang.foreign.MemorySegment;

/**
 * The slot array ({@link TorchOrder}) that the selections of one merge call share, one selection at a time:
 * 4 bytes per element of the tensor, borrowed from the run's memory ({@link MergeInput#scratch}) when a
 * selection first needs it and given back when the merge call closes it.
 */
public final class TieScratch implements AutoCloseable {

    private final MergeInput in;
    private MergeInput.Scratch lease;
    private Object owner;

    public TieScratch(MergeInput in) { this.in = in; }

    /** Bytes a tensor of {@code numel} elements borrows while a tie order is simulated. */
    public static long bytes(long numel) { return numel * Integer.BYTES; }

    /** Takes the array for {@code who} if nobody holds it; true when {@code who} holds it. */
    boolean claim(Object who) {
        if (owner == null) owner = who;
        return owner == who;
    }

    void release(Object who) {
        if (owner == who) owner = null;
    }

    /** The merge's kernels (the replay's scans run on them). */
    Kernels kernels() { return in.kernels(); }

    /** The slots, at least {@code numel} of them. */
    MemorySegment slots() {
        if (lease == null) lease = in.scratch(bytes(in.numel()));
        return lease.segment();
    }

    @Override
    public void close() {
        if (lease != null) lease.close();
        lease = null;
    }
}

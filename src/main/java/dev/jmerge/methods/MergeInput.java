package dev.jmerge.methods;

import dev.jmerge.tensor.Shape;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Everything a method sees of one output tensor: its inputs, already aligned to the output shape and read
 * as float32 on demand, and the parameters resolved for it. No files, no YAML. Inputs are in config order;
 * the base model, when present, is one of them ({@link #baseIndex()}).
 *
 * <p>Methods stream: they read the same element range of every input into tiles of at most
 * {@link #chunkSize()} elements, in as many passes as their statistics need, and write each output range
 * once. {@link Tiles} iterates ranges; {@link #tiles(int)} hands out reusable buffers.
 */
public interface MergeInput {

    /** Output tensor name (used for warnings and to key random streams). */
    String tensorName();

    /** Output shape; every input is presented with this shape. */
    Shape shape();

    default long numel() { return shape().numel(); }

    /** Rows of the tensor seen as a matrix: shape[0] for 2-D and higher, 1 for 0-D/1-D. */
    default long rows() { return shape().rows(); }

    /** Elements per row ({@code numel / rows}). */
    default long cols() { return shape().cols(); }

    /** Number of inputs, base included. */
    int count();

    /** Index of the base model among the inputs, or -1. */
    int baseIndex();

    /** Global (method-level) parameters for this tensor. */
    Params global();

    /** Per-model parameters of input {@code i} for this tensor (empty for the base unless set). */
    Params model(int i);

    /** Reads elements {@code [offset, offset+len)} of input {@code i} (row-major, output shape) as float32. */
    void read(int i, long offset, float[] dst, int dstOff, int len);

    /**
     * The dtype input {@code i} is stored in when {@link #read} only decodes its bytes (same shape, no adapter, no
     * cast on load, no report watching the reads), so a method may decode them itself ({@link #storedBytes}); else
     * null.
     */
    default DType storedType(int i) { return null; }

    /**
     * The stored bytes of elements {@code [offset, offset+len)} of input {@code i}, element {@code offset} at byte 0,
     * when {@link #storedType} is not null: a read of them, as {@link #read} would make, left to the caller to decode.
     */
    default MemorySegment storedBytes(int i, long offset, int len) {
        throw new UnsupportedOperationException("input " + i + " is not read as stored");
    }

    /** The kernel implementation of this run. */
    Kernels kernels();

    /** Tile length for streamed passes; fixed for a run so results do not depend on threads or memory. */
    int chunkSize();

    /**
     * {@code count} buffers of at least {@code length} floats each (contents undefined). Every call during one
     * {@link MergeMethod#merge} returns distinct arrays; they are reused for later tensors.
     */
    float[][] tiles(int count, int length);

    default float[][] tiles(int count) { return tiles(count, chunkSize()); }

    /** The run's random seed (from {@code --random-seed}, else drawn and printed once). */
    long seed();

    /** Reports a warning about this tensor (e.g. a mergekit quirk that changed the numbers). */
    void warn(String message);

    /** Where the method reports its factors and kept shares; {@link MergeStats#OFF} unless a report is made. */
    default MergeStats stats() { return MergeStats.OFF; }

    /** Native memory lent for a phase of one merge call; closing it gives the memory back. */
    interface Scratch extends AutoCloseable {
        MemorySegment segment();

        @Override
        void close();
    }

    /**
     * At least {@code bytes} of native memory (contents undefined), for working sets too large for tiles (see
     * {@link MergeMethod#scratchBytes}). The executor lends it from the run's memory budget and may make the
     * caller wait until other workers give theirs back; close it on the thread that asked for it.
     */
    default Scratch scratch(long bytes) {
        Arena arena = Arena.ofConfined();
        MemorySegment segment = arena.allocate(Math.max(1, bytes), Long.BYTES);
        return new Scratch() {
            @Override public MemorySegment segment() { return segment; }
            @Override public void close() { arena.close(); }
        };
    }
}

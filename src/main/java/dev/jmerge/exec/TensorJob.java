package dev.jmerge.exec;

import dev.jmerge.tensor.Shape;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.methods.MergeInput;
import dev.jmerge.methods.MergeStats;
import dev.jmerge.methods.Params;
import dev.jmerge.methods.TensorOutput;
import dev.jmerge.tensor.DType;
import dev.jmerge.plan.PlannedTensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;

/** One output tensor being merged: the {@link MergeInput} its method sees, backed by the input files. */
final class TensorJob implements MergeInput {

    private final PlannedTensor tensor;
    private final List<TensorReader> readers;
    private final Kernels kernels;
    private final int chunk;
    private final long seed;
    private final TileBuffers buffers;
    private final Consumer<Diagnostic> report;
    private final ScratchPool scratch;
    private TileStatistics stats; // null: no report

    TensorJob(PlannedTensor tensor, List<TensorReader> readers, Kernels kernels, int chunk, long seed,
              TileBuffers buffers, Consumer<Diagnostic> report, ScratchPool scratch) {
        this.tensor = tensor;
        this.readers = readers;
        this.kernels = kernels;
        this.chunk = chunk;
        this.seed = seed;
        this.buffers = buffers;
        this.report = report;
        this.scratch = scratch;
    }

    /**
     * Gathers the tensor's numbers for a report while it is merged (or scanned).
     *
     * @param models plan model index of each input
     * @param reference input the task vectors are taken against, or -1
     */
    TensorJob withStatistics(int[] models, int reference) {
        stats = new TileStatistics(tensor.name(), tensor.numel(), models, reference, kernels, chunk,
                (i, offset, dst, dstOff, len) -> readers.get(i).read(kernels, offset, dst, dstOff, len));
        return this;
    }

    /** The numbers of a tensor that was not merged: its inputs read once ({@code --dry-run --report}). */
    TensorStats scan() {
        try {
            return stats.finish();
        } finally {
            for (TensorReader r : readers) r.finish();
        }
    }

    /**
     * Merges the tensor into {@code shard}, encoding each written range once into the thread's write buffer;
     * returns its numbers when {@link #withStatistics} asked for them, else null.
     */
    TensorStats run(ShardOutput shard) {
        Writer writer = new Writer(shard);
        TensorStats numbers = null;
        try {
            tensor.method().merge(this, writer);
            writer.flush();
            if (stats != null) numbers = stats.finish();
        } finally {
            for (TensorReader r : readers) r.finish();
        }
        writer.counted.report(tensor.name(), report);
        return numbers;
    }

    /**
     * Encodes what the method writes into the thread's write buffer, counting non-finite values on the way, and
     * hands consecutive ranges to the shard as one positional write of up to a tile's bytes, so methods may
     * write in blocks smaller than a tile without a system call each.
     */
    private final class Writer implements TensorOutput {
        private final ShardOutput shard;
        private final DType type = tensor.outDtype();
        private final int es = type.byteSize();
        private final NonFiniteCount counted = new NonFiniteCount(type);
        private ByteBuffer buffer = buffers.writeBuffer(0).clear();
        private MemorySegment encoded = MemorySegment.ofBuffer(buffer);
        private long start;
        private int filled;

        Writer(ShardOutput shard) { this.shard = shard; }

        @Override
        public void write(long offset, float[] src, int srcOff, int len) {
            long bytes = (long) len * es;
            if (filled > 0 && (offset != start + filled || (filled + len) * (long) es > buffer.capacity())) flush();
            if (filled == 0) {
                start = offset;
                if (bytes > buffer.capacity()) {
                    buffer = buffers.writeBuffer(Math.toIntExact(Math.max(bytes, (long) chunk * es)));
                    encoded = MemorySegment.ofBuffer(buffer.clear());
                }
            }
            int max = kernels.fromFloat(src, srcOff, encoded, (long) filled * es, type, len);
            counted.check(max, src, srcOff, len);
            if (stats != null) stats.onWrite(offset, src, srcOff, encoded.asSlice((long) filled * es, bytes), type, len);
            filled += len;
        }

        void flush() {
            if (filled == 0) return;
            shard.write(tensor.name(), start * es, buffer.clear().limit(filled * es));
            filled = 0;
        }
    }

    @Override public String tensorName() { return tensor.name(); }
    @Override public Shape shape() { return tensor.shape(); }
    @Override public long numel() { return tensor.numel(); }
    @Override public int count() { return readers.size(); }
    @Override public int baseIndex() { return tensor.baseIndex(); }
    @Override public Params global() { return tensor.global(); }
    @Override public Params model(int i) { return tensor.perModel().get(i); }

    @Override
    public void read(int i, long offset, float[] dst, int dstOff, int len) {
        TensorReader r = readers.get(i);
        r.read(kernels, offset, dst, dstOff, len);
        if (stats != null) stats.onRead(i, offset, dst, dstOff, len, r.source(offset, len), r.storedType());
    }

    /** Not while a report watches the reads ({@link TileStatistics#onRead} sees the decoded values). */
    @Override
    public DType storedType(int i) { return stats == null ? readers.get(i).storedType() : null; }

    @Override
    public MemorySegment storedBytes(int i, long offset, int len) { return readers.get(i).stored(offset, len); }

    @Override public MergeStats stats() { return stats != null ? stats : MergeStats.OFF; }

    @Override public Kernels kernels() { return kernels; }
    @Override public int chunkSize() { return chunk; }
    @Override public float[][] tiles(int count, int length) { return buffers.get(count, length); }
    @Override public long seed() { return seed; }
    @Override public void warn(String message) { report.accept(new Diagnostic.Quirk(tensor.name(), message)); }
    @Override public Scratch scratch(long bytes) { return scratch.lend(bytes, tensor.name()); }
}

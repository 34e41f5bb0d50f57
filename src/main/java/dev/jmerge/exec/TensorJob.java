package dev.jmerge.exec;

import dev.jmerge.tensor.Shape;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.methods.MergeInput;
import dev.jmerge.methods.Params;
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

    /** Merges the tensor into {@code shard}, encoding each written range once into the thread's write buffer. */
    void run(ShardOutput shard) {
        var type = tensor.outDtype();
        int es = type.byteSize();
        NonFiniteCount counted = new NonFiniteCount((offset, src, srcOff, len) -> {
            ByteBuffer bb = buffers.writeBuffer(Math.multiplyExact(len, es));
            kernels.fromFloat(src, srcOff, MemorySegment.ofBuffer(bb), 0, type, len);
            shard.write(tensor.name(), offset * es, bb);
        }, type);
        try {
            tensor.method().merge(this, counted);
        } finally {
            for (TensorReader r : readers) r.finish();
        }
        counted.report(tensor.name(), report);
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
        readers.get(i).read(kernels, offset, dst, dstOff, len);
    }

    @Override public Kernels kernels() { return kernels; }
    @Override public int chunkSize() { return chunk; }
    @Override public float[][] tiles(int count, int length) { return buffers.get(count, length); }
    @Override public long seed() { return seed; }
    @Override public void warn(String message) { report.accept(new Diagnostic.Quirk(tensor.name(), message)); }
    @Override public Scratch scratch(long bytes) { return scratch.lend(bytes, tensor.name()); }
}

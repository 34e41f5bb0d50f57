package dev.jmerge.extract;

import dev.jmerge.error.MergeException;
import dev.jmerge.exec.ShardOutput;
import dev.jmerge.exec.TensorStreams;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.StoredTensor;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The tensors of {@code adapter_model.safetensors}, named as PEFT and mergekit name them, in plan order:
 * <pre>
 *   base_model.model.MODULE.lora_A.weight / lora_B.weight   a decomposed Linear: A [r, in], B [out, r]
 *   base_model.model.MODULE.lora_embedding_A / _B          a decomposed Embedding: A [r, vocab], B [dim, r]
 *   base_model.model.MODULE.lora_B.bias                    a decomposed module's bias change
 *   base_model.model.MODULE.weight / .bias                 a module saved at full rank (the fine-tune's)
 * </pre>
 * and the writer that fills the file with positional writes.
 */
final class AdapterLayout {

    private static final String PREFIX = "base_model.model.";
    private static final int CHUNK_BYTES = 4 << 20;
    private static final long FLUSH_BYTES = 64L << 20;

    enum Part { A, B, BIAS_DELTA, WEIGHT, BIAS }

    /** @param source the fine-tune tensor a full-rank part copies, else null */
    record Piece(ExtractionPlan.Step step, Part part, TensorSpec spec, String source) {}

    private AdapterLayout() {}

    /** Every tensor of the adapter, given each decomposed module's final rank. */
    static List<Piece> pieces(ExtractionPlan plan, ToIntFunction<ExtractionPlan.Step> rank) {
        List<Piece> out = new ArrayList<>();
        for (ExtractionPlan.Step s : plan.steps()) {
            Module m = s.module();
            switch (s.action()) {
                case DECOMPOSE -> {
                    int r = rank.applyAsInt(s);
                    String base = PREFIX + m.name();
                    if (s.transposed()) {
                        out.add(new Piece(s, Part.A, new TensorSpec(base + ".lora_embedding_A", s.factorDtype(),
                                Shape.of(r, m.rows())), null));
                        out.add(new Piece(s, Part.B, new TensorSpec(base + ".lora_embedding_B", s.factorDtype(),
                                Shape.of(m.cols(), r)), null));
                    } else {
                        out.add(new Piece(s, Part.A, new TensorSpec(base + ".lora_A.weight", s.factorDtype(),
                                Shape.of(r, m.cols())), null));
                        out.add(new Piece(s, Part.B, new TensorSpec(base + ".lora_B.weight", s.factorDtype(),
                                Shape.of(m.rows(), r)), null));
                    }
                    if (m.ftBias() != null) {
                        Shape shape = plan.ft().info(m.ftBias()).shape();
                        out.add(new Piece(s, Part.BIAS_DELTA, new TensorSpec(base + ".lora_B.bias", s.factorDtype(),
                                shape), null));
                    }
                }
                case FULL_RANK -> {
                    TensorInfo w = plan.ft().info(m.ftWeight());
                    out.add(new Piece(s, Part.WEIGHT, new TensorSpec(PREFIX + m.weight(), w.dtype(), w.shape()),
                            m.ftWeight()));
                    if (m.ftBias() != null) {
                        TensorInfo b = plan.ft().info(m.ftBias());
                        out.add(new Piece(s, Part.BIAS, new TensorSpec(PREFIX + m.bias(), b.dtype(), b.shape()),
                                m.ftBias()));
                    }
                }
                case LEFT_OUT -> { }
            }
        }
        return out;
    }

    static Writer create(Path file, List<Piece> pieces) {
        List<TensorSpec> specs = pieces.stream().map(Piece::spec).toList();
        long bytes = specs.stream().mapToLong(TensorSpec::byteSize).sum();
        ShardOutput out = ShardOutput.create(file.getParent(),
                new ShardLayout.Shard(file.getFileName().toString(), specs, bytes));
        return new Writer(out);
    }

    /** Fills the adapter file tensor by tensor. */
    static final class Writer implements AutoCloseable {

        private final ShardOutput out;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);

        private Writer(ShardOutput out) { this.out = out; }

        /** The piece's bytes from {@code bytes} bytes of {@code from} at {@code offset}. */
        void copy(Piece p, FileChannel from, long offset, long bytes) throws IOException {
            if (bytes != p.spec().byteSize()) {
                throw new IllegalStateException(p.spec() + ": " + bytes + " bytes of factors for " + p.spec().byteSize());
            }
            for (long done = 0; done < bytes; ) {
                int n = (int) Math.min(CHUNK_BYTES, bytes - done);
                buf.clear().limit(n);
                while (buf.hasRemaining()) {
                    if (from.read(buf, offset + done + buf.position()) < 0) {
                        throw new MergeException("the factors' scratch file ends early; it was changed during the run");
                    }
                }
                out.write(p.spec().name(), done, buf.flip());
                done += n;
            }
            out.flushIfDirty(FLUSH_BYTES);
        }

        /** The fine-tune's tensor as it stands (bytes copied), or as its own adapter changes it (re-encoded). */
        void copyTensor(Piece p, LoadedModel ft, String name, TensorStreams streams, Kernels kernels) throws IOException {
            StoredTensor stored = ft.weights().stored(name);
            if (stored.delta() != null) {
                copyDecoded(p, streams.open(ft, name), kernels);
            } else {
                try (FileChannel in = FileChannel.open(stored.file(), StandardOpenOption.READ)) {
                    copy(p, in, stored.info().begin(), p.spec().byteSize());
                }
            }
            out.flushIfDirty(FLUSH_BYTES);
        }

        private void copyDecoded(Piece p, TensorStreams.Stream in, Kernels kernels) {
            var type = p.spec().dtype();
            int es = type.byteSize();
            int per = CHUNK_BYTES / es;
            float[] values = new float[per];
            long numel = p.spec().numel();
            for (long done = 0; done < numel; ) {
                int n = (int) Math.min(per, numel - done);
                in.read(done, values, 0, n);
                buf.clear().limit(n * es);
                kernels.fromFloat(values, 0, MemorySegment.ofBuffer(buf), 0, type, n);
                out.write(p.spec().name(), done * es, buf);
                done += n;
            }
            in.finish();
        }

        void finish() { out.finish(); }

        @Override
        public void close() { out.close(); }
    }
}

package dev.jmerge.exec;

import dev.jmerge.io.StoredTensor;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.plan.LoadedModel;

/**
 * Input tensors read outside a merge plan (LoRA extraction reads each matrix several times): float32 values
 * of any element range, decoded from the read-only mappings with the pages released behind the reader, and
 * a {@code model+lora} adapter applied exactly as a merge applies it ({@link InputReader}). Readers are
 * opened and used on one thread each; the instance is shared by a run and closed after it.
 */
public final class TensorStreams implements AutoCloseable {

    /** One tensor, read in any order, as many times as needed. */
    public interface Stream {

        /** Elements {@code [offset, offset + len)} (row-major) as float32 into {@code dst[dstOff...]}. */
        void read(long offset, float[] dst, int dstOff, int len);

        /** Releases what the reader holds (mapped pages); it may still be read afterwards. */
        void finish();
    }

    private final Kernels kernels;
    private final InputFiles files = new InputFiles();
    private final ThreadLocal<TileBuffers> buffers = ThreadLocal.withInitial(TileBuffers::new);

    public TensorStreams(Kernels kernels) { this.kernels = kernels; }

    /** Mapped input bytes one open stream may keep resident before it releases them, for memory estimates. */
    public static long residentBytesPerStream() {
        return InputReader.RELEASE_BYTES + 2 * InputReader.FAULT_AROUND;
    }

    /** Tensor {@code name} of {@code model} as the model presents it (its adapter applied). */
    public Stream open(LoadedModel model, String name) {
        StoredTensor s = model.weights().stored(name);
        TensorReader reader = new InputReader(s, files.channel(s.file()), s.info().shape(), null, buffers.get());
        return new Stream() {
            @Override public void read(long offset, float[] dst, int dstOff, int len) { reader.read(kernels, offset, dst, dstOff, len); }
            @Override public void finish() { reader.finish(); }
        };
    }

    @Override
    public void close() { files.close(); }
}

package dev.jmerge.extract;

import dev.jmerge.exec.TensorStreams;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.linalg.RowSource;

/**
 * A module's weight change {@code Δ = fine-tune − base}, served in row blocks straight from the two
 * checkpoints (each read decoded to float32 and subtracted there; nothing held between reads but one block).
 */
final class DeltaRows implements RowSource {

    private final TensorStreams.Stream fineTune;
    private final TensorStreams.Stream base;
    private final int rows;
    private final int cols;
    private final Kernels kernels;
    /** The base's rows, per worker thread: kept from one module to the next like the SVD's own buffers. */
    private static final ThreadLocal<float[][]> OTHER = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    DeltaRows(TensorStreams.Stream fineTune, TensorStreams.Stream base, long rows, long cols, Kernels kernels) {
        this.fineTune = fineTune;
        this.base = base;
        this.rows = Math.toIntExact(rows);
        this.cols = Math.toIntExact(cols);
        this.kernels = kernels;
    }

    @Override public int rows() { return rows; }

    @Override public int cols() { return cols; }

    @Override
    public void read(int first, int count, float[] dst) {
        int len = count * cols;
        long offset = (long) first * cols;
        float[][] holder = OTHER.get();
        if (holder[0].length < len) holder[0] = new float[len];
        float[] other = holder[0];
        fineTune.read(offset, dst, 0, len);
        base.read(offset, other, 0, len);
        kernels.sub(dst, other, dst, len);
    }

    /** Gives back the mapped pages of both inputs. */
    void finish() {
        fineTune.finish();
        base.finish();
    }
}

package dev.jmerge.exec;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.plan.PlannedInput;
import dev.jmerge.plan.PlannedTensor;
import dev.jmerge.plan.RowGather;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * Presents one embedding input on the merged vocabulary (see {@link RowGather}): each output row is read
 * from the model's own row, from a default built from the other inputs' rows, or, for padding rows, is the
 * mean of this input's vocabulary rows, computed in one streamed pass the first time a padding row is read.
 * Values are rounded to the config's {@code dtype} as they are loaded, and defaults again once computed,
 * since mergekit builds them in that dtype.
 */
final class GatherReader implements TensorReader {

    private final int self;
    private final RowGather gather;
    private final List<MemorySegment> segments;
    private final List<PlannedInput> inputs;
    private final long cols;
    private final DType load;
    private float[] scratch;
    private double[] sum;
    private float[] padMean;

    GatherReader(PlannedTensor t, int input, List<MemorySegment> segments) {
        this.self = input;
        this.gather = t.inputs().get(input).gather();
        this.segments = segments;
        this.inputs = t.inputs();
        this.cols = t.shape().dim(1);
        this.load = t.loadDtype();
    }

    @Override
    public void read(Kernels k, long offset, float[] dst, int dstOff, int len) {
        int done = 0;
        while (done < len) {
            long e = offset + done;
            int row = (int) (e / cols);
            int col = (int) (e % cols);
            int n = (int) Math.min(len - done, cols - col);
            readRow(k, row, col, dst, dstOff + done, n);
            done += n;
        }
    }

    /** Columns [col, col + n) of presented row {@code row}. */
    private void readRow(Kernels k, int row, int col, float[] dst, int off, int n) {
        RowGather.Defaults d = gather.defaults();
        if (row >= d.vocabRows()) {
            if (padMean == null) padMean = vocabularyMean(k);
            System.arraycopy(padMean, col, dst, off, n);
            return;
        }
        int own = gather.ownRow()[row];
        if (own >= 0) {
            source(k, self, own, col, dst, off, n);
            return;
        }
        switch (d.perRow()[row]) {
            case RowGather.Default.Zero z -> Arrays.fill(dst, off, off + n, 0f);
            case RowGather.Default.Copy c -> source(k, c.input(), c.row(), col, dst, off, n);
            case RowGather.Default.Mean m -> {
                double[] acc = sums(n);
                float[] tmp = scratch(n);
                for (int j = 0; j < m.inputs().length; j++) {
                    source(k, m.inputs()[j], m.rows()[j], col, tmp, 0, n);
                    for (int i = 0; i < n; i++) acc[i] += tmp[i];
                }
                for (int i = 0; i < n; i++) dst[off + i] = (float) (acc[i] / m.inputs().length);
                InputReader.round(roundTo(), dst, off, n);
            }
            case null -> throw new IllegalStateException("row " + row + " has neither an own row nor a default");
        }
    }

    private void source(Kernels k, int input, int row, int col, float[] dst, int off, int n) {
        DType stored = inputs.get(input).info().dtype();
        long inCols = inputs.get(input).info().shape().dim(1);
        k.toFloat(segments.get(input), (row * inCols + col) * stored.byteSize(), stored, dst, off, n);
        InputReader.round(roundTo(input), dst, off, n);
    }

    private DType roundTo(int input) {
        DType stored = inputs.get(input).info().dtype();
        return InputReader.narrowerFloat(load, stored) ? load : null;
    }

    /** Computed defaults are rounded to the config's dtype when one is set, as mergekit computes in it. */
    private DType roundTo() { return load == DType.BF16 || load == DType.F16 ? load : null; }

    /** Mean of this input's presented rows below vocabRows, accumulated in float64. */
    private float[] vocabularyMean(Kernels k) {
        int c = (int) cols;
        double[] total = new double[c];
        float[] row = new float[c];
        int rows = gather.defaults().vocabRows();
        for (int r = 0; r < rows; r++) {
            readRow(k, r, 0, row, 0, c);
            for (int i = 0; i < c; i++) total[i] += row[i];
        }
        float[] mean = new float[c];
        for (int i = 0; i < c; i++) mean[i] = rows == 0 ? 0f : (float) (total[i] / rows);
        InputReader.round(roundTo(), mean, 0, c);
        return mean;
    }

    private float[] scratch(int n) {
        if (scratch == null || scratch.length < n) scratch = new float[Math.max(n, (int) Math.min(cols, 1 << 16))];
        return scratch;
    }

    private double[] sums(int n) {
        if (sum == null || sum.length < n) sum = new double[Math.max(n, (int) Math.min(cols, 1 << 16))];
        Arrays.fill(sum, 0, n, 0.0);
        return sum;
    }
}

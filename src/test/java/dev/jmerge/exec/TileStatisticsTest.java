package dev.jmerge.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The report's observer against float64 sums, whatever order a method reads in: tiles read base first or last,
 * one model at a time over the whole tensor (then the observer reads what it missed itself), inputs remembered as
 * mapped bytes or as copies, outputs written in other ranges than the base was read in.
 */
class TileStatisticsTest {

    static final int N = 10_000, CHUNK = 4096, INPUTS = 4, BASE = 2;

    final float[][] x = new float[INPUTS][N];
    final float[] out = new float[N];
    final AtomicLong rawReads = new AtomicLong();

    TileStatisticsTest() {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < N; i++) {
            x[BASE][i] = (float) r.nextGaussian();
            out[i] = x[BASE][i] + (float) (0.1 * r.nextGaussian());
        }
        for (int a = 0; a < INPUTS; a++) {
            if (a == BASE) continue;
            for (int i = 0; i < N; i++) x[a][i] = x[BASE][i] + (float) (0.01 * (a + 1) * r.nextGaussian() + 0.01 * Math.sin(i));
        }
    }

    TileStatistics stats(Kernels k, int base) {
        return new TileStatistics("t", N, new int[] {5, 6, 7, 8}, base, k, CHUNK, (i, offset, dst, off, len) -> {
            rawReads.addAndGet(len);
            System.arraycopy(x[i], (int) offset, dst, off, len);
        });
    }

    /** A method's read: the values, as a copy the method may then change. */
    void read(TileStatistics s, int i, int offset, int len) {
        float[] tile = new float[len + 3];
        System.arraycopy(x[i], offset, tile, 3, len);
        s.onRead(i, offset, tile, 3, len, null, null);
        java.util.Arrays.fill(tile, Float.NaN); // what the observer kept must not be the method's buffer
    }

    void write(TileStatistics s, int offset, int len) {
        MemorySegment bytes = MemorySegment.ofArray(new float[len]);
        for (int i = 0; i < len; i++) bytes.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, out[offset + i]);
        s.onWrite(offset, out, offset, bytes, DType.F32, len);
    }

    /** Checks the Gram matrix of the task vectors (or inputs) and Σ(out − base)² against float64 sums. */
    void check(TensorStats t, int base) {
        assertThat(t.models()).containsExactly(5, 6, 7, 8);
        assertThat(t.baseIndex()).isEqualTo(base);
        int[] v = t.vectors();
        assertThat(v.length).isEqualTo(base >= 0 ? INPUTS - 1 : INPUTS);
        for (int a = 0; a < v.length; a++) {
            for (int c = 0; c < v.length; c++) {
                double sum = 0, abs = 0;
                for (int i = 0; i < N; i++) {
                    double da = base >= 0 ? (double) (x[v[a]][i] - x[base][i]) : x[v[a]][i];
                    double dc = base >= 0 ? (double) (x[v[c]][i] - x[base][i]) : x[v[c]][i];
                    sum += da * dc;
                    abs += Math.abs(da * dc);
                }
                assertThat(t.gram()[a][c]).as("gram[%d][%d]", a, c).isCloseTo(sum, within(0x1p-17 * abs));
            }
        }
        if (Double.isNaN(t.outputSquared())) return;
        double o = 0;
        for (int i = 0; i < N; i++) {
            double d = base >= 0 ? (double) (out[i] - x[base][i]) : out[i];
            o += d * d;
        }
        assertThat(t.outputSquared()).isCloseTo(o, within(0x1p-17 * o));
    }

    @Test
    void aMethodReadingEveryInputPerTileIsCountedWithoutReadingAgain() {
        for (Kernels k : new Kernels[] {new ScalarKernels(), KernelsProvider.get()}) {
            for (boolean baseLast : new boolean[] {false, true}) {
                rawReads.set(0);
                TileStatistics s = stats(k, BASE);
                for (int off = 0; off < N; off += CHUNK) {
                    int len = Math.min(CHUNK, N - off);
                    if (!baseLast) read(s, BASE, off, len);
                    for (int i = 0; i < INPUTS; i++) if (i != BASE) read(s, i, off, len);
                    if (baseLast) read(s, BASE, off, len);
                    write(s, off, len);
                }
                check(s.finish(), BASE);
                assertThat(rawReads.get()).as("extra reads").isZero();
            }
        }
    }

    @Test
    void withoutABaseTheInputsThemselvesAreCompared() {
        TileStatistics s = stats(KernelsProvider.get(), -1);
        for (int off = 0; off < N; off += CHUNK) {
            int len = Math.min(CHUNK, N - off);
            for (int i = 0; i < INPUTS; i++) read(s, i, off, len);
            write(s, off, len);
        }
        check(s.finish(), -1);
        assertThat(rawReads.get()).isZero();
    }

    @Test
    void whatNoPassReadAlignedIsReadAtTheEnd() {
        TileStatistics s = stats(KernelsProvider.get(), BASE);
        // one model at a time over the whole tensor (as a selection pass does), then an output pass reading the
        // base only: no range ever has every input at once
        for (int i = 0; i < INPUTS; i++) {
            for (int off = 0; off < N; off += CHUNK) read(s, i, off, Math.min(CHUNK, N - off));
        }
        for (int off = 0; off < N; off += CHUNK) {
            read(s, BASE, off, Math.min(CHUNK, N - off));
            write(s, off, Math.min(CHUNK, N - off));
        }
        check(s.finish(), BASE);
        // the first tile is still held for the vectors (each kept its first pending read) when the output pass
        // reads the base there, so it counts then; the rest is read once more
        assertThat(rawReads.get()).as("all but the first tile read once more").isEqualTo((long) INPUTS * (N - CHUNK));
    }

    @Test
    void outputsWrittenInOtherRangesAreComparedWithTheBaseThere() {
        TileStatistics s = stats(KernelsProvider.get(), BASE);
        for (int off = 0; off < N; off += CHUNK) {
            int len = Math.min(CHUNK, N - off);
            for (int i = 0; i < INPUTS; i++) read(s, i, off, len);
            // halves of the tile just read: compared with the base tile held
            write(s, off, len / 2);
            write(s, off + len / 2, len - len / 2);
        }
        check(s.finish(), BASE);
        assertThat(rawReads.get()).isZero();
        // an output range the base was not last read at: the base is read there
        rawReads.set(0);
        TileStatistics t = stats(KernelsProvider.get(), BASE);
        for (int off = 0; off < N; off += CHUNK) {
            int len = Math.min(CHUNK, N - off);
            for (int i = 0; i < INPUTS; i++) read(t, i, off, len);
        }
        long expected = 0;
        int lastTile = (N - 1) / CHUNK * CHUNK; // where the base was read last
        for (int off = 0; off < N; off += 1000) {
            int len = Math.min(1000, N - off);
            write(t, off, len);
            if (off < lastTile) expected += len;
        }
        check(t.finish(), BASE);
        assertThat(rawReads.get()).isEqualTo(expected);
    }

    @Test
    void tilesKeptAsMappedBytesCountLikeCopies() {
        Kernels k = KernelsProvider.get();
        TileStatistics s = stats(k, BASE);
        for (int off = 0; off < N; off += CHUNK) {
            int len = Math.min(CHUNK, N - off);
            for (int i = 0; i < INPUTS; i++) {
                MemorySegment bytes = MemorySegment.ofArray(java.util.Arrays.copyOfRange(x[i], off, off + len));
                float[] tile = new float[len];
                k.toFloat(bytes, 0, DType.F32, tile, 0, len);
                s.onRead(i, off, tile, 0, len, bytes, DType.F32);
                java.util.Arrays.fill(tile, Float.NaN);
            }
            write(s, off, len);
        }
        check(s.finish(), BASE);
        assertThat(rawReads.get()).isZero();
    }

    /** A method's read into its own tile (from 0), which it keeps as read until it has written the range. */
    float[] readKept(TileStatistics s, int i, int offset, int len) {
        float[] tile = new float[len];
        System.arraycopy(x[i], offset, tile, 0, len);
        s.onRead(i, offset, tile, 0, len, null, null);
        return tile;
    }

    /**
     * A method that hands its tiles over: sums come from its floats, in whatever order it holds its inputs, as
     * inputs or as task vectors, after passes that read one model at a time; the output is compared with the base
     * tile handed over. Nothing is read again, and a method that hands tiles over without having promised to is
     * counted once.
     */
    @Test
    void tilesHandedOverAreCountedFromTheMethodsFloats() {
        int[] order = {3, 1, 2, 0}; // the base (2) among them, in no particular place
        for (Kernels k : new Kernels[] {new ScalarKernels(), KernelsProvider.get()}) {
            for (int base : new int[] {BASE, -1}) {
                for (boolean asTaskVectors : base < 0 ? new boolean[] {false} : new boolean[] {false, true}) {
                    for (boolean promised : new boolean[] {true, false}) {
                        rawReads.set(0);
                        TileStatistics s = stats(k, base);
                        if (promised) {
                            s.tilesHandedOver();
                            // a selection's passes, one model at a time: not what the report counts
                            for (int i = 0; i < INPUTS; i++) {
                                for (int off = 0; off < N; off += CHUNK) read(s, i, off, Math.min(CHUNK, N - off));
                            }
                        }
                        for (int off = 0; off < N; off += CHUNK) {
                            int len = Math.min(CHUNK, N - off);
                            float[][] tiles = new float[INPUTS][];
                            for (int j = 0; j < INPUTS; j++) tiles[j] = readKept(s, order[j], off, len);
                            if (asTaskVectors) {
                                float[] b = tiles[2];
                                int[] which = {order[0], order[1], order[3]};
                                float[][] d = {tiles[0], tiles[1], tiles[3]};
                                for (float[] t : d) k.sub(t, b, t, len);
                                s.taskVectors(off, len, which, d, b);
                            } else {
                                s.inputs(off, len, order, tiles);
                            }
                            write(s, off, len);
                            for (float[] t : tiles) java.util.Arrays.fill(t, Float.NaN);
                        }
                        check(s.finish(), base);
                        assertThat(rawReads.get()).as("read again").isZero();
                    }
                }
            }
        }
    }

    /**
     * A method's own Gram of the same vectors against the same base is taken whole, in whatever order the method holds
     * them; one of other vectors, another base, or offered after a range was counted is declined.
     */
    @Test
    void aMethodsOwnGramIsTakenWhenItIsTheReports() {
        int[] order = {3, 0, 1};
        double[][] g = new double[3][3];
        for (int a = 0; a < 3; a++) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < N; i++) g[a][c] += (double) (x[order[a]][i] - x[BASE][i]) * (x[order[c]][i] - x[BASE][i]);
            }
        }
        TileStatistics s = stats(KernelsProvider.get(), BASE);
        assertThat(s.takesGram(new int[] {0, 1, 3}, -1)).as("other base").isFalse();
        assertThat(s.takesGram(new int[] {0, 1}, BASE)).as("fewer vectors").isFalse();
        assertThat(s.takesGram(new int[] {0, 1, 2}, BASE)).as("the base among them").isFalse();
        assertThat(s.takesGram(order, BASE)).isTrue();
        s.gram(g);
        for (int off = 0; off < N; off += CHUNK) {
            int len = Math.min(CHUNK, N - off);
            read(s, BASE, off, len);
            write(s, off, len);
        }
        check(s.finish(), BASE);
        assertThat(rawReads.get()).as("read again").isZero();

        TileStatistics late = stats(KernelsProvider.get(), BASE);
        float[][] tiles = new float[INPUTS][];
        for (int i = 0; i < INPUTS; i++) tiles[i] = readKept(late, i, 0, CHUNK);
        late.tilesHandedOver();
        late.inputs(0, CHUNK, new int[] {0, 1, 2, 3}, tiles);
        assertThat(late.takesGram(order, BASE)).as("after a range was counted").isFalse();
    }

    /** A promise broken (a range never handed over) costs a read of what was missed, not the numbers. */
    @Test
    void rangesNeverHandedOverAreReadAtTheEnd() {
        TileStatistics s = stats(KernelsProvider.get(), BASE);
        s.tilesHandedOver();
        int all[] = {0, 1, 2, 3};
        for (int off = 0; off < N; off += CHUNK) {
            int len = Math.min(CHUNK, N - off);
            float[][] tiles = new float[INPUTS][];
            for (int i = 0; i < INPUTS; i++) tiles[i] = readKept(s, i, off, len);
            if (off != CHUNK) s.inputs(off, len, all, tiles);
            write(s, off, len);
        }
        check(s.finish(), BASE);
        assertThat(rawReads.get()).isEqualTo((long) INPUTS * (N - CHUNK));
    }

    /** An output stored as bf16 counts as stored: rounded, not as the method's floats. */
    @Test
    void outputsCountAsTheirStoredType() {
        for (Kernels k : new Kernels[] {new ScalarKernels(), KernelsProvider.get()}) {
            TileStatistics s = stats(k, BASE);
            double expected = 0;
            for (int off = 0; off < N; off += CHUNK) {
                int len = Math.min(CHUNK, N - off);
                for (int i = 0; i < INPUTS; i++) read(s, i, off, len);
                MemorySegment bytes = MemorySegment.ofArray(new short[len]);
                k.fromFloat(out, off, bytes, 0, DType.BF16, len);
                s.onWrite(off, out, off, bytes, DType.BF16, len);
                for (int i = 0; i < len; i++) {
                    float stored = ScalarKernels.bf16ToFloat(ScalarKernels.floatToBf16(out[off + i]));
                    double d = (double) (stored - x[BASE][off + i]);
                    expected += d * d;
                }
            }
            double got = s.finish().outputSquared();
            assertThat(got).isCloseTo(expected, within(0x1p-17 * expected));
            double unrounded = 0;
            for (int i = 0; i < N; i++) unrounded += Math.pow((double) (out[i] - x[BASE][i]), 2);
            assertThat(Math.abs(got - unrounded)).as("the rounding shows").isGreaterThan(0x1p-12 * expected);
        }
    }

    @Test
    void methodsReportTheirFactorAndKeptCounts() {
        TileStatistics s = stats(new ScalarKernels(), BASE);
        assertThat(s.enabled()).isTrue();
        s.interpolation(0.5);
        s.interpolation(0.7);
        s.kept(1, 10, N);
        s.kept(1, 5, N);
        TensorStats t = s.finish();
        assertThat(t.interpolation()).isCloseTo(0.6, within(1e-15));
        assertThat(t.kept()).containsExactly(-1, 15, -1, -1);
        assertThat(t.outputSquared()).as("nothing written").isNaN();
    }
}

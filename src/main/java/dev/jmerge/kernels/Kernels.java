package dev.jmerge.kernels;

import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * The hot loops of a merge, over float32 tiles. Two implementations: {@link ScalarKernels} (the reference
 * and the fallback) and a Vector API one in {@code kernels.panama}, chosen once by {@link KernelsProvider}.
 * Reductions accumulate in float64 so that a result does not depend on how a tensor was chunked.
 * Array arguments are read from offset 0 unless an offset is given; {@code n} is the element count.
 * Every implementation gives bit-identical results to {@link ScalarKernels} for conversions and elementwise
 * operations (NaN payloads aside for arithmetic); reductions may differ only by the order of float64 additions.
 */
public interface Kernels {

    /** Short name for logs and benchmark tables ("scalar", "panama-512"...). */
    String name();

    /**
     * Gets ready for a merge that reads and writes {@code dtypes}, returning when ready: the vector implementation
     * gets its kernels and those dtypes' conversions compiled (see {@code kernels.panama.Warmup}); the scalar one
     * has nothing to do. Cheap when called again.
     */
    default void warmUp(Set<DType> dtypes) {}

    /** As {@link #warmUp(Set)}, compiling of the kernels only those listed in {@code kernels}. */
    default void warmUp(Set<DType> dtypes, Set<KernelUse> kernels) { warmUp(dtypes); }

    /** Decodes {@code n} little-endian elements of {@code type} starting at {@code byteOffset} into floats. */
    void toFloat(MemorySegment src, long byteOffset, DType type, float[] dst, int dstOff, int n);

    /**
     * Encodes {@code n} floats as {@code type} (round to nearest even for narrower floats) and returns the
     * largest {@code floatToRawIntBits(src[i]) & 0x7FFFFFFF} among them (0 when {@code n == 0}): magnitudes order
     * like these bits and NaN and infinity have the largest, so a writer learns for free whether any value is
     * not finite or too large for {@code type}.
     */
    int fromFloat(float[] src, int srcOff, MemorySegment dst, long byteOffset, DType type, int n);

    /** {@code y[i] += a * x[i]}. */
    void axpy(float a, float[] x, float[] y, int n);

    /** {@code x[i] *= a}. */
    void scale(float a, float[] x, int n);

    /** {@code x[i] = (float) (x[i] · a)}, the product in float64. */
    void scaleWide(double a, float[] x, int n);

    /** {@code out[i] = a[i] - b[i]} ({@code out} may alias {@code a}). */
    void sub(float[] a, float[] b, float[] out, int n);

    /** {@code out[i] = a[i] * b[i]} ({@code out} may alias either input). */
    void mul(float[] a, float[] b, float[] out, int n);

    /** {@code out[i] = wa * a[i] + wb * b[i]} ({@code out} may alias either input). */
    void lincomb(float wa, float[] a, float wb, float[] b, float[] out, int n);

    /** {@code out[i] = a[i] + t * (b[i] - a[i])} ({@code out} may alias either input). */
    void lerp(float t, float[] a, float[] b, float[] out, int n);

    /**
     * {@code out[i] = (float) (Σ_j w[j]·x[j][i] / divisor)} over {@code j < count}, in float64: each product
     * {@code w[j]·(double) x[j][i]} rounded to float64 and added in order of {@code j} to a sum that starts at +0,
     * divided unless {@code divisor} is 1 (which changes nothing), then rounded once to float32. Bit-identical in
     * every implementation.
     */
    void weightedSumWide(float[][] x, int count, double[] w, double divisor, float[] out, int n);

    /**
     * Task arithmetic's last step, in float64 rounded once: with {@code d_m = w[m]·delta[m][i]} rounded to float32
     * (as mergekit forms weighted task vectors), {@code out[i] = (float) (base[i] + Σ_m d_m / divisor · lambda)},
     * the sum starting at +0 and taken in order of {@code m}. Bit-identical in every implementation.
     */
    void taskSumWide(float[] base, float[][] delta, int count, float[] w, double divisor, double lambda, float[] out,
                     int n);

    /**
     * TIES' last step (sign election by sum, mean over the agreeing weights), in float64 rounded once: with
     * {@code d_m = w[m]·delta[m][i]} rounded to float32 and {@code s = Σ_m d_m}, the kept {@code d_m} are those
     * of the elected sign ({@code d_m > 0} when {@code s ≥ 0}, else {@code d_m < 0}); {@code num} and {@code den}
     * sum the kept {@code d_m} and {@code w[m]} (from +0, in order of {@code m}), {@code den} = 0 counts as 1, and
     * {@code out[i] = (float) (base[i] + (normalize ? num / den : num) · lambda)}. Bit-identical in every
     * implementation.
     */
    void electedSumWide(float[] base, float[][] delta, int count, float[] w, boolean normalize, double lambda,
                        float[] out, int n);

    /**
     * Population variance across {@code count} vectors per element, in float64 rounded once:
     * {@code mean = (Σ_m x[m][i]) / count}, {@code out[i] = (float) (Σ_m (x[m][i] − mean)² / count)}, sums from +0 in
     * order of {@code m}. Bit-identical in every implementation.
     */
    void varianceWide(float[][] x, int count, float[] out, int n);

    /**
     * SCE's last step in float64 rounded once: the sign is elected by {@code s = Σ_m x[m][i]} ({@code x > 0} kept
     * when {@code s ≥ 0}, else {@code x < 0}); {@code num} and {@code den} sum {@code omega[m]·x[m][i]} and
     * {@code omega[m]} over the kept (from +0, in order of {@code m}), and
     * {@code out[i] = (float) (base[i] + num / max(den, minDen))}. Bit-identical in every implementation.
     */
    void electedMeanWide(float[] base, float[][] x, int count, double[] omega, double minDen, float[] out, int n);

    /** {@code x[i] = value}. */
    void fill(float value, float[] x, int n);

    /** {@code x[i] = +0} where {@code |x[i]| < threshold}; NaN elements are kept. */
    void zeroWhereAbsBelow(float[] x, float threshold, int n);

    /** How many {@code |x[i]| >= threshold} (NaN elements are not counted). */
    int countAbsAtLeast(float[] x, float threshold, int n);

    /**
     * The stops of a partition's left scan over the native-order ints {@code slots[from..from+count)}, which hold
     * keys (non-negative) or tie ordinals ({@code 0x80000000 | ordinal}: key {@code tieKeyA} for ordinals below
     * {@code tieCount}, else {@code tieKeyB}): writes the offsets {@code i} (ascending) whose key is
     * {@code <= pivot} to {@code out} and returns how many. {@code out} needs {@code count + 16} entries: an
     * implementation may write past the last offset it returns.
     */
    int stopsUp(MemorySegment slots, long from, int count, int pivot, int tieCount, int tieKeyA, int tieKeyB, int[] out);

    /**
     * The stops of a partition's right scan, which runs down from {@code end} (exclusive): writes the offsets
     * {@code i} in {@code [1, count]} (ascending) whose key (as in {@link #stopsUp}) of {@code slots[end-i]} is
     * {@code >= pivot} and returns how many; {@code out} as in {@link #stopsUp}.
     */
    int stopsDown(MemorySegment slots, long end, int count, int pivot, int tieCount, int tieKeyA, int tieKeyB,
                  int[] out);

    /**
     * The offsets {@code i} (ascending) with {@code lo <= slots[from+i] <= hi} (signed) among the native-order ints
     * {@code slots[from..from+count)}, written to {@code out}; returns how many. {@code out} as in {@link #stopsUp}.
     */
    int slotsBetween(MemorySegment slots, long from, int count, int lo, int hi, int[] out);

    // ---- magnitude selections' tile passes (the keys and the mask apply of methods.sparsify.TorchSelection) ----

    /**
     * {@code keys[i] = min(bits(x[i]) & 0x7FFFFFFF, 0x7F800001)} for {@code i < n}: the magnitude's float bits, every
     * NaN one key above infinity (the order torch's comparators give magnitudes; {@code MagnitudeKey}).
     */
    void magnitudeKeys(float[] x, int[] keys, int n);

    /**
     * The magnitude keys ({@link #magnitudeKeys}) of the task vector {@code x − b} straight from the stored bytes:
     * {@code keys[i] = key(x_i − b_i)}, {@code x_i} and {@code b_i} being elements {@code i} of the little-endian
     * {@code type} arrays at byte offsets {@code xOff} and {@code bOff}, decoded as {@link #toFloat} decodes them. The
     * same keys as decoding both, {@link #sub} and {@link #magnitudeKeys}, without the float tiles in between.
     *
     * @throws IllegalArgumentException for a type other than bf16 or f32
     */
    void deltaKeys(MemorySegment x, long xOff, MemorySegment b, long bOff, DType type, int[] keys, int n);

    /**
     * {@code out[i] = x_i − base[i]}, {@code x_i} being element {@code i} of the little-endian {@code type} array at
     * byte offset {@code xOff}, decoded as {@link #toFloat} decodes it: decoding and {@link #sub} in one pass.
     *
     * @throws IllegalArgumentException for a type other than bf16 or f32
     */
    void storedMinus(MemorySegment x, long xOff, DType type, float[] base, float[] out, int n);

    /**
     * Masks {@code x[0..n)} by magnitude key ({@link #magnitudeKeys}): an element whose key is {@code tieA} keeps
     * or drops by bit {@code cursor[0]} of {@code verdicts} (then the next bit, in index order), one whose key is
     * {@code tieB} (not {@code tieA}) by bit {@code cursor[1]} on; any other is kept when {@code lo <= key <= hi}
     * ({@code lo >= 0}, {@code hi >= -1}). Dropped elements become +0. The cursors are advanced past the bits read;
     * {@code -1} as a tie key matches nothing.
     */
    void maskKeys(float[] x, int n, int lo, int hi, int tieA, int tieB, long[] verdicts, int[] cursor);

    // ---- counter-based draws (methods.random.CounterRng's bits53, whose definition ScalarLoops.counterBits53 holds) ----

    /** {@code out[i] = counterBits53(key, index + i·step)} for {@code i < n}. */
    void counterDraws(long key, long index, long step, long[] out, int n);

    /**
     * DARE's drop: {@code x[i]} stays when {@code counterBits53(key, index + i) < below}, else becomes +0
     * ({@code below} in {@code [0, 2^53]}, as {@code CounterRng.below} gives it).
     */
    void keepDrawn(long key, long index, long below, float[] x, int n);

    /** Σ a[i]·b[i], accumulated in float64. */
    double dot(float[] a, float[] b, int n);

    /** Σ a[i]², accumulated in float64. */
    double sumSquares(float[] a, int n);

    /** Σ |a[i]|, accumulated in float64. */
    double sumAbs(float[] a, int n);

    /**
     * Adds the Gram matrix of {@code v} vectors {@code x[a] − base} ({@code x[a]} when {@code base} is null) over
     * their first {@code n} elements to {@code gram} (row-major {@code v×v}, the diagonal and upper triangle
     * only): {@code gram[a·v + b] += Σ (x[a][i] − base[i])·(x[b][i] − base[i])} for {@code a ≤ b}, each
     * difference rounded to float32 as {@link #sub} rounds it. For reports, where one sweep serves every pair:
     * the Vector API implementation sums the products with float32 FMAs over runs of 32 per lane before adding
     * them in float64 (an error within 2⁻¹⁸·Σ|products|); the scalar one sums in float64 throughout.
     */
    void gram(float[][] x, int v, float[] base, int n, double[] gram);

    /**
     * {@code Σ (s(x[xOff+i]) − base[bOff+i])²} over {@code i < n} ({@code Σ s(x)²} when {@code base} is null),
     * {@code s(x)} being x as {@code type} stores it: rounded as {@link #fromFloat} rounds to bf16 or f16, x itself
     * for f32; each difference rounded to float32. A report's output change, taken from the floats being written
     * rather than decoded back from what was stored; summed as {@link #gram} sums.
     *
     * @throws IllegalArgumentException for a type other than bf16, f16 or f32
     */
    double storedDistanceSquares(float[] x, int xOff, float[] base, int bOff, DType type, int n);

    /**
     * Adds to {@code kept[m]}, for {@code m < count}, how many of the first {@code n} weighted deltas
     * {@code x = w[m]·delta[m][i]} (float32 products; {@code w} null: weights of 1) reach the output: {@code x ≠ 0},
     * and with {@code elect} of the sign {@link #electedSumWide} elects (a non-negative sum elects +). For reports.
     */
    void countKept(float[][] delta, int count, float[] w, boolean elect, long[] kept, int n);

    /**
     * Matrix product with a weight matrix stored as a linear layer stores it ({@code [out, in]}, row-major):
     * {@code y[yOff + r·yStride + j] = Σ_i x[r·k + i] · w[j][i]} for {@code r < rows}, {@code j < n}, where
     * {@code w} is {@code n} rows of {@code k} elements of {@code wType} starting at {@code wByteOffset}.
     * Accumulates in float32 (the model's activations are float32), so implementations differ by the order of
     * their additions: each result is within {@code k·2⁻²⁴·Σ|x·w|} of the exact sum. Single-threaded; callers
     * split {@code n} to use more cores.
     */
    void matmul(float[] x, int rows, int k, MemorySegment w, long wByteOffset, DType wType, int n,
                float[] y, int yOff, int yStride);
}

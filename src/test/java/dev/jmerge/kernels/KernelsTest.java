package dev.jmerge.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jmerge.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The vector kernels against the scalar reference in one JVM: conversions and elementwise operations bit for
 * bit, reductions within the float64 summation bound. The vector width is the process's
 * ({@code -Djmerge.vectorBits=128|256} reruns this class narrower).
 */
class KernelsTest {

    static final int[] LENGTHS = KernelData.LENGTHS;
    private static final DType[] DELEGATED = {DType.F32, DType.F64, DType.F8_E4M3, DType.F8_E5M2, DType.I64,
            DType.I32, DType.I16, DType.I8, DType.U8, DType.BOOL};

    private static Kernels scalar;
    private static Kernels panama;

    @BeforeAll
    static void load() throws ReflectiveOperationException {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "jdk.incubator.vector is not in the boot layer");
        scalar = new ScalarKernels();
        // By name: this test class must load even where the vector implementation cannot.
        panama = (Kernels) Class.forName("dev.jmerge.kernels.panama.PanamaKernels").getDeclaredConstructor().newInstance();
        assertThat(panama.name()).startsWith("panama-");
        String forced = System.getProperty("jmerge.vectorBits");
        if (forced != null) {
            // Narrower on request, never wider than the hardware's preferred width.
            assertThat(Integer.parseInt(panama.name().substring("panama-".length())))
                    .isLessThanOrEqualTo(Integer.parseInt(forced.strip()));
        }
    }

    // ---- conversions ------------------------------------------------------------------------------------

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void encodesBf16AndF16BitForBit(int n) {
        float[] src = KernelData.floats(new SplittableRandom(n), n + 5);
        for (DType t : new DType[] {DType.BF16, DType.F16}) {
            // Odd offsets on both sides: vectors must not assume alignment.
            assertThat(encode(panama, src, 3, t, n, 1)).as("%s n=%d", t, n).isEqualTo(encode(scalar, src, 3, t, n, 1));
        }
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void decodesBf16AndF16BitForBit(int n) {
        SplittableRandom r = new SplittableRandom(~n);
        byte[] bytes = new byte[2 * n + 3];
        r.nextBytes(bytes);
        for (DType t : new DType[] {DType.BF16, DType.F16}) {
            assertThat(rawBits(decode(panama, bytes, 1, t, n, 2)))
                    .as("%s n=%d", t, n).containsExactly(rawBits(decode(scalar, bytes, 1, t, n, 2)));
        }
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void encodersReportTheLargestMagnitude(int n) {
        float[] src = KernelData.floats(new SplittableRandom(n + 17), n + 2);
        int want = 0;
        for (int i = 2; i < n + 2; i++) want = Math.max(want, Float.floatToRawIntBits(src[i]) & 0x7FFFFFFF);
        for (DType t : new DType[] {DType.BF16, DType.F16, DType.F32, DType.I8}) {
            for (Kernels k : new Kernels[] {scalar, panama}) {
                byte[] out = new byte[n * t.byteSize()];
                assertThat(k.fromFloat(src, 2, MemorySegment.ofArray(out), 0, t, n)).as("%s %s n=%d", k.name(), t, n)
                        .isEqualTo(want);
            }
        }
    }

    @Test
    void decodesEveryBf16AndF16Code() {
        byte[] all = new byte[2 * 65536];
        for (int c = 0; c < 65536; c++) { all[2 * c] = (byte) c; all[2 * c + 1] = (byte) (c >>> 8); }
        float[] bf = decode(panama, all, 0, DType.BF16, 65536, 0);
        float[] hf = decode(panama, all, 0, DType.F16, 65536, 0);
        for (int c = 0; c < 65536; c++) {
            assertThat(Float.floatToRawIntBits(bf[c])).as("bf16 %04x", c).isEqualTo(c << 16);
            assertThat(Float.floatToRawIntBits(hf[c])).as("f16 %04x", c)
                    .isEqualTo(Float.floatToRawIntBits(Float.float16ToFloat((short) c)));
            if (!Float.isNaN(hf[c])) assertThat((double) hf[c]).as("f16 %04x", c).isEqualTo(halfFromDefinition(c));
        }
    }

    /**
     * f32 → f16 over every sign/exponent/high-mantissa pattern combined with the low bits that decide
     * rounding (ties, just above and below), compared with {@link Float#floatToFloat16}.
     */
    @Test
    void encodesF16LikeTheJdkAcrossAllExponents() {
        int[] lows = {0x0000, 0x0001, 0x0FFF, 0x1000, 0x1001, 0x1FFF, 0x2000, 0x3000, 0xFFFF};
        float[] src = new float[65536 * lows.length];
        int k = 0;
        for (int hi = 0; hi < 65536; hi++) for (int lo : lows) src[k++] = Float.intBitsToFloat(hi << 16 | lo);
        MemorySegment out = MemorySegment.ofArray(new byte[2 * src.length]);
        panama.fromFloat(src, 0, out, 0, DType.F16, src.length);
        for (int i = 0; i < src.length; i++) {
            short got = out.get(ScalarLoops.SHORT, 2L * i);
            assertThat(got).as("%08x", Float.floatToRawIntBits(src[i])).isEqualTo(Float.floatToFloat16(src[i]));
        }
    }

    @Test
    void encodesBf16WithNearestEvenAgainstAFloat64Reference() {
        float[] src = KernelData.floats(new SplittableRandom(7), 20000);
        byte[] bytes = encode(panama, src, 0, DType.BF16, src.length, 0);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        for (int i = 0; i < src.length; i++) {
            int code = seg.get(ScalarLoops.SHORT, 2L * i) & 0xFFFF;
            int bits = Float.floatToRawIntBits(src[i]);
            if (Float.isNaN(src[i])) {
                assertThat(code).as("NaN %08x keeps sign, top payload and is quiet", bits)
                        .isEqualTo((bits >>> 16) | 0x40);
            } else {
                assertThat(code).as("%08x", bits).isEqualTo(nearestBf16(src[i]));
            }
        }
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void delegatedDTypesMatchTheReference(int n) {
        float[] src = KernelData.floats(new SplittableRandom(n * 31L), n + 2);
        for (DType t : DELEGATED) {
            byte[] enc = encode(panama, src, 2, t, n, 3);
            assertThat(enc).as("%s n=%d", t, n).isEqualTo(encode(scalar, src, 2, t, n, 3));
            assertThat(rawBits(decode(panama, enc, 3, t, n, 1))).as("%s n=%d", t, n)
                    .containsExactly(rawBits(decode(scalar, enc, 3, t, n, 1)));
        }
    }

    @Test
    void convertsFromAMappedStyleOffHeapSegment() {
        float[] src = KernelData.floats(new SplittableRandom(11), 1000);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2L * src.length + 1);
            panama.fromFloat(src, 0, seg, 1, DType.BF16, src.length);
            float[] back = new float[src.length];
            panama.toFloat(seg, 1, DType.BF16, back, 0, src.length);
            for (int i = 0; i < src.length; i++) {
                assertThat(Float.floatToRawIntBits(back[i])).isEqualTo((ScalarKernels.floatToBf16(src[i]) & 0xFFFF) << 16);
            }
        }
    }

    // ---- elementwise ------------------------------------------------------------------------------------

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void elementwiseOpsMatchBitForBit(int n) {
        SplittableRandom r = new SplittableRandom(1000 + n);
        float[] a = KernelData.floats(r, n), b = KernelData.floats(r, n);
        float s = 0.37f, t = -1.25f;
        sameBits("axpy", n, (k, out) -> { copy(b, out); k.axpy(s, a, out, n); });
        sameBits("scale", n, (k, out) -> { copy(a, out); k.scale(s, out, n); });
        sameBits("scaleWide", n, (k, out) -> { copy(a, out); k.scaleWide(1.0 / 3, out, n); });
        sameBits("sub", n, (k, out) -> k.sub(a, b, out, n));
        sameBits("mul", n, (k, out) -> k.mul(a, b, out, n));
        sameBits("lincomb", n, (k, out) -> k.lincomb(s, a, t, b, out, n));
        sameBits("lerp", n, (k, out) -> k.lerp(s, a, b, out, n));
        sameBits("fill", n, (k, out) -> k.fill(t, out, n));
        // In-place forms, as the methods use them.
        sameBits("sub in place", n, (k, out) -> { copy(a, out); k.sub(out, b, out, n); });
        sameBits("lincomb in place", n, (k, out) -> { copy(b, out); k.lincomb(s, a, t, out, out, n); });
        sameBits("lerp in place", n, (k, out) -> { copy(a, out); k.lerp(t, out, b, out, n); });
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void elementwiseOpsFollowTheirFormulas(int n) {
        SplittableRandom r = new SplittableRandom(2000 + n);
        float[] a = KernelData.finite(r, n), b = KernelData.finite(r, n);
        float[] out = new float[n + 1];
        out[n] = 42f;
        for (Kernels k : new Kernels[] {scalar, panama}) {
            k.lerp(0.25f, a, b, out, n);
            for (int i = 0; i < n; i++) assertThat(out[i]).isEqualTo(a[i] + 0.25f * (b[i] - a[i]));
            k.mul(a, b, out, n);
            for (int i = 0; i < n; i++) assertThat(out[i]).isEqualTo(a[i] * b[i]);
            k.fill(-3f, out, n);
            for (int i = 0; i < n; i++) assertThat(out[i]).isEqualTo(-3f);
            System.arraycopy(a, 0, out, 0, n);
            k.scaleWide(1.0 / 3, out, n);
            for (int i = 0; i < n; i++) assertThat(out[i]).isEqualTo((float) (a[i] * (1.0 / 3)));
            assertThat(out[n]).as("%s writes past n", k.name()).isEqualTo(42f);
        }
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void wideWeightedSumMatchesItsFloat64FormulaBitForBit(int n) {
        SplittableRandom r = new SplittableRandom(2500 + n);
        float[][] x = {KernelData.floats(r, n), KernelData.floats(r, n), KernelData.floats(r, n)};
        double[] w = {0.4, 0.3, -0.2};
        for (double divisor : new double[] {1, 0.9999999999999999, 0, -3}) {
            for (int count = 0; count <= 3; count++) {
                float[] want = new float[n];
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < count; j++) s += w[j] * x[j][i];
                    want[i] = (float) (divisor == 1 ? s : s / divisor);
                }
                for (Kernels k : new Kernels[] {scalar, panama}) {
                    float[] got = new float[n];
                    k.weightedSumWide(x, count, w, divisor, got, n);
                    assertThat(canonicalBits(got)).as("%s count=%d /%s n=%d", k.name(), count, divisor, n)
                            .containsExactly(canonicalBits(want));
                }
            }
        }
    }

    /** Task arithmetic's and TIES' last step against the per-element float64 code they replaced. */
    @ParameterizedTest
    @FieldSource("LENGTHS")
    void taskSumsMatchTheirFloat64FormulasBitForBit(int n) {
        SplittableRandom r = new SplittableRandom(2700 + n);
        float[] base = KernelData.floats(r, n);
        float[][] d = {KernelData.floats(r, n), KernelData.floats(r, n), KernelData.floats(r, n)};
        for (int i = 0; i < n; i += 7) d[1][i] = -d[0][i]; // sums of exactly zero elect +
        float[][] weights = {{0.5f, 0.3f, 0.2f}, {1f, -1f, 0f}};
        for (float[] w : weights) {
            for (int count = 0; count <= 3; count++) {
                for (double lambda : new double[] {1, 0.9}) {
                    for (boolean normalize : new boolean[] {false, true}) {
                        float[] linear = new float[n], elected = new float[n];
                        double divisor = normalize ? 0.9999999999999999 : 1;
                        for (int i = 0; i < n; i++) {
                            double s = 0;
                            for (int m = 0; m < count; m++) s += (double) (w[m] * d[m][i]);
                            double delta = normalize ? s / divisor : s;
                            if (lambda != 1) delta *= lambda;
                            linear[i] = (float) (base[i] + delta);
                            boolean positive = s >= 0;
                            double num = 0, den = 0;
                            for (int m = 0; m < count; m++) {
                                float x = w[m] * d[m][i];
                                if (positive ? x > 0 : x < 0) {
                                    num += x;
                                    den += w[m];
                                }
                            }
                            if (den == 0) den = 1;
                            delta = normalize ? num / den : num;
                            if (lambda != 1) delta *= lambda;
                            elected[i] = (float) (base[i] + delta);
                        }
                        for (Kernels k : new Kernels[] {scalar, panama}) {
                            String what = String.format("%s count=%d w=%s lambda=%s normalize=%s n=%d", k.name(), count,
                                    Arrays.toString(w), lambda, normalize, n);
                            float[] got = new float[n];
                            k.taskSumWide(base, d, count, w, divisor, lambda, got, n);
                            assertThat(canonicalBits(got)).as("task sum " + what).containsExactly(canonicalBits(linear));
                            k.electedSumWide(base, d, count, w, normalize, lambda, got, n);
                            assertThat(canonicalBits(got)).as("elected " + what).containsExactly(canonicalBits(elected));
                        }
                    }
                }
            }
        }
    }

    /** SCE's variance and last step against the per-element float64 code they replaced. */
    @ParameterizedTest
    @FieldSource("LENGTHS")
    void sceStepsMatchTheirFloat64FormulasBitForBit(int n) {
        SplittableRandom r = new SplittableRandom(2900 + n);
        float[] base = KernelData.floats(r, n);
        float[][] x = {KernelData.floats(r, n), KernelData.floats(r, n), KernelData.floats(r, n)};
        for (int i = 0; i < n; i += 5) x[2][i] = -(x[0][i] + x[1][i]);
        double[] omega = {0.5, 0.25, 0.25};
        for (int count = 1; count <= 3; count++) {
            float[] variance = new float[n], mean = new float[n];
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int m = 0; m < count; m++) sum += x[m][i];
                double mu = sum / count, sq = 0;
                for (int m = 0; m < count; m++) sq += (x[m][i] - mu) * (x[m][i] - mu);
                variance[i] = (float) (sq / count);
                boolean positive = sum >= 0;
                double num = 0, den = 0;
                for (int m = 0; m < count; m++) {
                    if (positive ? x[m][i] > 0 : x[m][i] < 0) {
                        num += omega[m] * x[m][i];
                        den += omega[m];
                    }
                }
                mean[i] = (float) (base[i] + num / Math.max(den, 1e-6));
            }
            for (Kernels k : new Kernels[] {scalar, panama}) {
                float[] got = new float[n];
                k.varianceWide(x, count, got, n);
                assertThat(canonicalBits(got)).as("variance %s count=%d n=%d", k.name(), count, n)
                        .containsExactly(canonicalBits(variance));
                k.electedMeanWide(base, x, count, omega, 1e-6, got, n);
                assertThat(canonicalBits(got)).as("elected mean %s count=%d n=%d", k.name(), count, n)
                        .containsExactly(canonicalBits(mean));
            }
        }
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void thresholdOpsMatchAndKeepNaN(int n) {
        float[] x = KernelData.floats(new SplittableRandom(3000 + n), n);
        for (float thr : new float[] {0f, 1e-3f, 0.5f, Float.MIN_VALUE, Float.POSITIVE_INFINITY, Float.NaN}) {
            float[] xs = x.clone(), xp = x.clone();
            scalar.zeroWhereAbsBelow(xs, thr, n);
            panama.zeroWhereAbsBelow(xp, thr, n);
            assertThat(rawBits(xp)).as("zero below %s n=%d", thr, n).containsExactly(rawBits(xs));
            int expected = 0;
            for (int i = 0; i < n; i++) {
                boolean keep = Math.abs((double) x[i]) >= thr;
                if (keep) expected++;
                float want = keep || Float.isNaN(x[i]) || Float.isNaN(thr) ? x[i] : 0f;
                assertThat(Float.floatToRawIntBits(xp[i])).isEqualTo(Float.floatToRawIntBits(want));
            }
            assertThat(panama.countAbsAtLeast(x, thr, n)).as("count >= %s n=%d", thr, n).isEqualTo(expected);
            assertThat(scalar.countAbsAtLeast(x, thr, n)).isEqualTo(expected);
        }
    }

    // ---- reductions -------------------------------------------------------------------------------------

    /**
     * Products of floats are exact in float64, so any summation order is within (n−1)·2^-53·Σ|tᵢ| of the exact
     * sum (the textbook bound for recursive summation, which holds for any tree). Both implementations are
     * checked against the exact sum, computed here in BigDecimal.
     */
    @ParameterizedTest
    @FieldSource("LENGTHS")
    void reductionsStayWithinTheFloat64SummationBound(int n) {
        SplittableRandom r = new SplittableRandom(4000 + n);
        float[] a = KernelData.finite(r, n), b = KernelData.finite(r, n);
        checkSum("dot", n, i -> (double) a[i] * b[i], panama.dot(a, b, n), scalar.dot(a, b, n));
        checkSum("sumSquares", n, i -> (double) a[i] * a[i], panama.sumSquares(a, n), scalar.sumSquares(a, n));
        checkSum("sumAbs", n, i -> Math.abs((double) a[i]), panama.sumAbs(a, n), scalar.sumAbs(a, n));
    }

    @Test
    void reductionsDoNotCancelWhatFloat32Would() {
        // 1 + 2^-30 summed many times: float32 partial sums lose the small part entirely.
        int n = 4099;
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        a[0] = 0x1p24f;
        double exact = 0x1p24 + (n - 1);
        assertThat(panama.sumAbs(a, n)).isEqualTo(exact);
        assertThat(panama.dot(a, a, n)).isEqualTo(0x1p48 + (n - 1));
    }

    /**
     * Every entry of a Gram matrix of 1 to 6 vectors, with and without a base, against the exact sum of the
     * products of the float32 differences: the scalar kernel within the float64 bound, the vector one within the
     * 2^-18·Σ|products| its float32 runs allow; entries below the diagonal are never touched.
     */
    @ParameterizedTest
    @FieldSource("LENGTHS")
    void gramEntriesStayWithinTheirBounds(int n) {
        for (int len : new int[] {n, n + 5000}) {
            for (int v = 1; v <= 6; v++) {
                // weights and fine-tunes: a base, and inputs close to it with correlated changes
                SplittableRandom r = new SplittableRandom(7000L * v + len);
                float[] base = new float[len], shared = new float[len];
                for (int i = 0; i < len; i++) {
                    base[i] = (float) (0.05 * r.nextGaussian());
                    shared[i] = (float) (0.001 * r.nextGaussian());
                }
                float[][] x = new float[v][len];
                for (int a = 0; a < v; a++) {
                    for (int i = 0; i < len; i++) x[a][i] = (float) (base[i] + shared[i] + 0.001 * r.nextGaussian());
                }
                for (float[] b : new float[][] {null, base}) {
                    double[] s = new double[v * v], p = new double[v * v];
                    for (int a = 0; a < v; a++) {
                        for (int c = 0; c < a; c++) s[a * v + c] = p[a * v + c] = 1.5; // must stay untouched
                    }
                    scalar.gram(x, v, b, len, s);
                    panama.gram(x, v, b, len, p);
                    for (int a = 0; a < v; a++) {
                        for (int c = 0; c < v; c++) {
                            if (c < a) {
                                assertThat(s[a * v + c]).isEqualTo(1.5);
                                assertThat(p[a * v + c]).isEqualTo(1.5);
                                continue;
                            }
                            float[] xa = x[a], xc = x[c];
                            IntToDoubleFunction term = i -> (double) (b == null ? xa[i] : xa[i] - b[i])
                                    * (b == null ? xc[i] : xc[i] - b[i]);
                            String what = "gram v=" + v + " [" + a + "," + c + "]" + (b == null ? "" : " less a base");
                            checkSum(what, len, term, s[a * v + c]);
                            checkSumWithin(what, len, term, 0x1p-18, p[a * v + c]);
                        }
                    }
                }
            }
        }
    }

    /**
     * The output change a report takes from the floats being written: each value rounded as the encoder stores it
     * (checked against the encoder itself, then decoding), less the base, squared and summed.
     */
    @ParameterizedTest
    @FieldSource("LENGTHS")
    void storedDistanceRoundsAsTheEncoderStores(int n) {
        SplittableRandom r = new SplittableRandom(9000 + n);
        int off = 3, len = n + 700;
        float[] x = new float[off + len], base = new float[5 + len];
        for (int i = 0; i < len; i++) {
            base[5 + i] = (float) (0.05 * r.nextGaussian());
            x[off + i] = base[5 + i] + (float) (0.001 * r.nextGaussian());
        }
        // exact ties between two bf16 codes round to the even one
        for (int i = 0; i < len; i += 7) x[off + i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[off + i]) & 0xFFFF0000 | 0x8000);
        for (DType type : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            MemorySegment stored = MemorySegment.ofArray(new byte[len * type.byteSize()]);
            scalar.fromFloat(x, off, stored, 0, type, len);
            float[] decoded = new float[len];
            scalar.toFloat(stored, 0, type, decoded, 0, len);
            for (boolean withBase : new boolean[] {false, true}) {
                IntToDoubleFunction term = i -> {
                    double d = withBase ? (double) (decoded[i] - base[5 + i]) : decoded[i];
                    return d * d;
                };
                String what = "stored distance " + type + (withBase ? " less a base" : "");
                float[] b = withBase ? base : null;
                checkSum(what, len, term, scalar.storedDistanceSquares(x, off, b, 5, type, len));
                checkSumWithin(what, len, term, 0x1p-18, panama.storedDistanceSquares(x, off, b, 5, type, len));
            }
        }
    }

    /**
     * Kept counts of a report: zeros never count; with an election, a delta counts when its sign is the sign of
     * the float64 sum of the weighted deltas, + where that sum is exactly zero (x and −x of equal weights).
     */
    @ParameterizedTest
    @FieldSource("LENGTHS")
    void keptCountsFollowTheElectedSign(int n) {
        SplittableRandom r = new SplittableRandom(9500 + n);
        int count = 3;
        float[][] d = new float[count][n];
        for (int i = 0; i < n; i++) {
            for (int m = 0; m < count; m++) d[m][i] = r.nextInt(4) == 0 ? 0f : (float) r.nextGaussian();
            if (i % 11 == 5) {
                d[1][i] = -d[0][i];
                d[2][i] = 0f;
            }
            if (i % 13 == 7) {
                // near ties: the float32 sum is 0 or of the other sign than the float64 sum the election uses
                d[0][i] = 1f;
                d[1][i] = (i % 3 - 1) * 0x1.8p-24f;
                d[2][i] = -1f - (i % 2) * 0x1p-23f;
            }
            if (i % 17 == 3) d[r.nextInt(count)][i] = switch (i % 3) {
                case 0 -> Float.NaN;
                case 1 -> Float.MAX_VALUE;
                default -> Float.NEGATIVE_INFINITY;
            };
        }
        for (float[] w : new float[][] {null, {0.5f, 0.5f, 0.25f}}) {
            for (boolean elect : new boolean[] {false, true}) {
                long[] expected = new long[count];
                for (int i = 0; i < n; i++) {
                    double sum = 0;
                    for (int m = 0; m < count; m++) sum += (double) (d[m][i] * (w == null ? 1f : w[m]));
                    for (int m = 0; m < count; m++) {
                        float x = d[m][i] * (w == null ? 1f : w[m]);
                        if (x != 0 && (!elect || Math.signum(x) == (sum >= 0 ? 1 : -1))) expected[m]++;
                    }
                }
                long[] sk = {7, 7, 7}, pk = {7, 7, 7}; // counts add to what is there
                scalar.countKept(d, count, w, elect, sk, n);
                panama.countKept(d, count, w, elect, pk, n);
                for (int m = 0; m < count; m++) expected[m] += 7;
                assertThat(sk).as("scalar elect=%s n=%d", elect, n).containsExactly(expected);
                assertThat(pk).as("panama elect=%s n=%d", elect, n).containsExactly(expected);
            }
        }
    }

    /**
     * 1 + 4·2⁻²⁶ − 3·2⁻²⁶ − 1 is +2⁻²⁶, but summed in float32 it is −4·2⁻²⁶: an election must use the float64
     * sum the merge elects with (a vector kernel electing in float32 lanes would count the other two deltas).
     */
    @Test
    void keptCountsElectByTheFloat64SumWhereFloat32RoundsToTheOtherSign() {
        int n = 67;
        float[][] d = new float[4][n];
        for (int i = 0; i < n; i++) {
            d[0][i] = 1f;
            d[1][i] = 4 * 0x1p-26f;
            d[2][i] = -3 * 0x1p-26f;
            d[3][i] = -1f;
        }
        long[] sk = new long[4], pk = new long[4];
        scalar.countKept(d, 4, null, true, sk, n);
        panama.countKept(d, 4, null, true, pk, n);
        assertThat(sk).containsExactly(n, n, 0, 0);
        assertThat(pk).containsExactly(n, n, 0, 0);
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void reductionsPropagateSpecialsLikeTheReference(int n) {
        float[] a = KernelData.floats(new SplittableRandom(5000 + n), n);
        float[] b = KernelData.floats(new SplittableRandom(6000 + n), n);
        sameSpecial(panama.dot(a, b, n), scalar.dot(a, b, n));
        sameSpecial(panama.sumSquares(a, n), scalar.sumSquares(a, n));
        sameSpecial(panama.sumAbs(a, n), scalar.sumAbs(a, n));
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private interface Op { void run(Kernels k, float[] out); }

    private static void sameBits(String what, int n, Op op) {
        float[] s = new float[n], p = new float[n];
        op.run(scalar, s);
        op.run(panama, p);
        // Arithmetic NaN payloads are the hardware's business (and C2 may commute operands): compare canonically.
        assertThat(canonicalBits(p)).as("%s n=%d", what, n).containsExactly(canonicalBits(s));
    }

    private static void checkSum(String what, int n, IntToDoubleFunction term, double... results) {
        checkSumWithin(what, n, term, Math.max(n - 1, 0) * 0x1p-53, results);
    }

    /** Each result within {@code relative·Σ|tᵢ|} of the exact sum. */
    private static void checkSumWithin(String what, int n, IntToDoubleFunction term, double relative, double... results) {
        BigDecimal exact = BigDecimal.ZERO;
        double absSum = 0;
        for (int i = 0; i < n; i++) {
            exact = exact.add(new BigDecimal(term.applyAsDouble(i)));
            absSum += Math.abs(term.applyAsDouble(i));
        }
        double bound = relative * absSum * (1 + 1e-12);
        for (double got : results) {
            double err = new BigDecimal(got).subtract(exact).abs().doubleValue();
            assertThat(err).as("%s n=%d: |%s - exact| vs bound %s", what, n, got, bound).isLessThanOrEqualTo(bound);
        }
    }

    private static void sameSpecial(double vector, double reference) {
        if (Double.isNaN(reference)) assertThat(vector).isNaN();
        else if (Double.isInfinite(reference)) assertThat(vector).isEqualTo(reference);
        else assertThat(Double.isFinite(vector)).isTrue();
    }

    private static byte[] encode(Kernels k, float[] src, int srcOff, DType t, int n, int byteOff) {
        byte[] out = new byte[byteOff + n * t.byteSize() + 2];
        Arrays.fill(out, (byte) 0x5A); // bytes outside the range must survive
        k.fromFloat(src, srcOff, MemorySegment.ofArray(out), byteOff, t, n);
        return out;
    }

    private static float[] decode(Kernels k, byte[] src, int byteOff, DType t, int n, int dstOff) {
        float[] out = new float[dstOff + n + 1];
        Arrays.fill(out, 7f);
        k.toFloat(MemorySegment.ofArray(src), byteOff, t, out, dstOff, n);
        return out;
    }

    private static void copy(float[] from, float[] to) { System.arraycopy(from, 0, to, 0, from.length); }

    static int[] rawBits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }

    private static int[] canonicalBits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToIntBits(x[i]);
        return b;
    }

    // ---- partition scans ---------------------------------------------------------------------------------

    @Test
    void partitionStopsOfASmallBlockByHand() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * 6, 8);
            // slots 0..5; the two tie slots stand for key 2 (ordinal 0, group A) and key 6 (ordinal 1, group B)
            int[] v = {9, 5, 0x8000_0000, 7, 0x8000_0001, 3};
            for (int i = 0; i < v.length; i++) s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i, v[i]);
            for (Kernels k : new Kernels[] {scalar, panama}) {
                int[] out = new int[6 + 16];
                // up from slot 1, keys 5, 2, 7, 6, 3 against 4 (stop at <= 4): offsets 1 and 4
                assertThat(Arrays.copyOf(out, k.stopsUp(s, 1, 5, 4, 1, 2, 6, out))).containsExactly(1, 4);
                // down from slot 6 (exclusive), keys 3, 6, 7, 2, 5, 9 (stop at >= 4): offsets 2, 3, 5, 6
                assertThat(Arrays.copyOf(out, k.stopsDown(s, 6, 6, 4, 1, 2, 6, out))).containsExactly(2, 3, 5, 6);
                // both tie slots in group A (key 2) now: slot 4 stops the left scan too
                assertThat(Arrays.copyOf(out, k.stopsUp(s, 1, 5, 4, 2, 2, 6, out))).containsExactly(1, 3, 4);
                // slots 0..5 within [3, 7]: 5, 7, 3 at offsets 1, 3, 5; within [MIN, -1]: the tie slots
                assertThat(Arrays.copyOf(out, k.slotsBetween(s, 0, 6, 3, 7, out))).containsExactly(1, 3, 5);
                assertThat(Arrays.copyOf(out, k.slotsBetween(s, 0, 6, Integer.MIN_VALUE, -1, out))).containsExactly(2, 4);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("LENGTHS")
    void partitionStopsMatchTheReference(int n) {
        SplittableRandom r = new SplittableRandom(31L * n + 5);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * (n + 3), 8);
            for (int i = 0; i < n + 3; i++) {
                // few levels around the pivot, so equal keys are common, and tie slots of two groups
                int v = r.nextInt(8) == 0 ? Integer.MIN_VALUE | r.nextInt(1000) : 100 + r.nextInt(5);
                s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i, v);
            }
            int[][] groups = {{500, 101, 104}, {1000, 102, -1}, {0, 99, 103}}; // count, key A, key B
            for (int[] t : groups) {
                int[] want = new int[n + 16], got = new int[n + 16];
                int c = scalar.stopsUp(s, 2, n, 102, t[0], t[1], t[2], want);
                assertThat(Arrays.copyOf(got, panama.stopsUp(s, 2, n, 102, t[0], t[1], t[2], got)))
                        .as("up n=%d %s", n, Arrays.toString(t)).containsExactly(Arrays.copyOf(want, c));
                c = scalar.stopsDown(s, n + 1, n, 102, t[0], t[1], t[2], want);
                assertThat(Arrays.copyOf(got, panama.stopsDown(s, n + 1, n, 102, t[0], t[1], t[2], got)))
                        .as("down n=%d %s", n, Arrays.toString(t)).containsExactly(Arrays.copyOf(want, c));
                c = scalar.slotsBetween(s, 1, n, 101, 103, want);
                assertThat(Arrays.copyOf(got, panama.slotsBetween(s, 1, n, 101, 103, got)))
                        .as("between n=%d", n).containsExactly(Arrays.copyOf(want, c));
            }
        }
    }

    /** IEEE binary16 from its definition, in float64. */
    static double halfFromDefinition(int code) {
        int e = (code >>> 10) & 0x1F, m = code & 0x3FF;
        double mag = e == 0 ? m * 0x1p-24 : e == 31 ? (m == 0 ? Double.POSITIVE_INFINITY : Double.NaN) : (1024 + m) * Math.scalb(1.0, e - 25);
        return (code & 0x8000) != 0 ? -mag : mag;
    }

    /**
     * The bf16 code nearest to a non-NaN float, ties to the even code, found by comparing float64 distances
     * to the two bf16 neighbours (the one above the largest finite is 2^128, i.e. overflow to infinity).
     */
    private static int nearestBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int down = bits >>> 16;
        if ((bits & 0xFFFF) == 0) return down;
        double lo = Math.abs((double) Float.intBitsToFloat(down << 16));
        int upCode = down + 1;
        double hi = (upCode & 0x7FFF) == 0x7F80 ? 0x1p128 : Math.abs((double) Float.intBitsToFloat(upCode << 16));
        double x = Math.abs((double) v);
        double dLo = x - lo, dHi = hi - x;
        if (dLo < dHi) return down;
        if (dHi < dLo) return upCode;
        return (down & 1) == 0 ? down : upCode;
    }
}

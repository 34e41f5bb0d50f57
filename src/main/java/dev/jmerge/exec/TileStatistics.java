package dev.jmerge.exec;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.methods.MergeStats;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Gathers one tensor's {@link TensorStats} from the tiles its method reads and writes, so a report costs no
 * extra read of the input files. A method that hands its tiles over ({@link #tilesHandedOver}) has its sums
 * taken from the floats it decoded, and its output compared with the base tile it handed over last: nothing is
 * decoded twice. For any other method, the tile each input had read last is remembered: as the slice of the input's
 * mapping it was decoded from when the read was a plain decode (nothing is copied: the bytes are in cache and
 * still mapped), else as a copy of the floats. Once the base and every other input have been read at the first
 * range not yet counted, that range is summed block by block in L1: the task vectors' products
 * ({@link Kernels#gram}, in float64 over the blocks). Methods read every input at the same ranges at least once
 * (their last pass does); what a method did not read that way is read here at the end. Each written range is
 * compared with the base's tile read last, or with the base read again where the method read another range.
 * Confined to the worker thread merging the tensor.
 */
final class TileStatistics implements MergeStats {

    /** Elements summed at a time: a block of every input fits in L1 beside the kernels' own work. */
    static final int BLOCK = 1024;

    /** Reads input {@code i} without being observed. */
    @FunctionalInterface
    interface RawReader {
        void read(int i, long offset, float[] dst, int dstOff, int len);
    }

    private final String name;
    private final long numel;
    private final int[] models;
    private final int base;
    private final int[] vectors;
    private final Kernels k;
    private final int chunk;
    private final RawReader reader;

    private final Slot[] slots;
    private long next;                  // inputs are counted over [0, next)
    private final float[][] block;      // per input, BLOCK floats
    private final float[][] held;       // the vectors' blocks, in vector order
    private final double[] gram;        // v×v, upper triangle
    private final double[] output = new double[1];
    private final float[][] one = new float[1][];
    private float[] baseTile = new float[0];
    private double outputSquared;
    private long written;
    private double tSum;
    private int tCount;
    private final long[] kept;
    private boolean handedOver;         // the method hands its tiles over: reads are not counted
    private final float[][] picked;     // per input, the tile handed over
    private final float[][] pickedVectors;
    private float[] handedBase;         // the base tile handed over last, until the base is read again
    private long handedOffset;
    private int handedLength;
    private int[] promised;             // the inputs of the Gram the method hands over whole, once asked

    /** An input's tile read last: where its values are (bytes of the mapping, or a copy) and which range. */
    private static final class Slot {
        long offset = -1;
        int length;
        MemorySegment bytes;
        DType type;
        float[] copy = new float[0];

        boolean holds(long off, int len) { return offset == off && length == len; }

        boolean covers(long off, int len) { return offset >= 0 && offset <= off && off + len <= offset + length; }

        /** Elements {@code [from, from+n)} of the tile (relative to its offset) into {@code dst}. */
        void load(Kernels k, int from, int n, float[] dst) {
            if (bytes != null) k.toFloat(bytes, (long) from * type.byteSize(), type, dst, 0, n);
            else System.arraycopy(copy, from, dst, 0, n);
        }
    }

    TileStatistics(String name, long numel, int[] models, int base, Kernels k, int chunk, RawReader raw) {
        this.name = name;
        this.numel = numel;
        this.models = models.clone();
        this.base = base;
        this.k = k;
        this.chunk = chunk;
        this.reader = raw;
        int n = models.length;
        this.vectors = new int[base >= 0 ? n - 1 : n];
        for (int i = 0, v = 0; i < n; i++) if (i != base) vectors[v++] = i;
        this.slots = new Slot[n];
        for (int i = 0; i < n; i++) slots[i] = new Slot();
        this.block = new float[n + 1][BLOCK];
        this.held = new float[vectors.length][];
        for (int a = 0; a < vectors.length; a++) held[a] = block[vectors[a]];
        this.gram = new double[vectors.length * vectors.length];
        this.kept = new long[n];
        Arrays.fill(kept, -1);
        this.picked = new float[n][];
        this.pickedVectors = new float[vectors.length][];
    }

    /**
     * Input {@code i} was read at {@code [offset, offset+len)} into {@code src[off..]}; {@code bytes} are what
     * those values were decoded from as {@code type}, or null when they are not a plain decode.
     */
    void onRead(int i, long offset, float[] src, int off, int len, MemorySegment bytes, DType type) {
        if (i == base) handedBase = null;
        boolean pending = !handedOver && offset == next && next < numel;
        if (i != base && !pending) return;
        Slot s = slots[i];
        s.offset = offset;
        s.length = len;
        s.bytes = bytes;
        s.type = type;
        if (bytes == null) {
            if (s.copy.length < len) s.copy = new float[len];
            System.arraycopy(src, off, s.copy, 0, len);
        }
        if (pending) tryCount(len);
    }

    /** Sums the pending range once every input has been read there. */
    private void tryCount(int len) {
        for (Slot s : slots) if (!s.holds(next, len)) return;
        add(len);
        next += len;
        for (int v : vectors) slots[v].offset = -1;
    }

    /** Adds the products of the task vectors (or the inputs, without a base) over the slots' range. */
    private void add(int len) {
        for (int from = 0; from < len; from += BLOCK) {
            int n = Math.min(BLOCK, len - from);
            for (int i = 0; i < slots.length; i++) slots[i].load(k, from, n, block[i]);
            k.gram(held, vectors.length, base >= 0 ? block[base] : null, n, gram);
        }
    }

    /**
     * {@code len} output values are written at {@code offset}: {@code src[srcOff..]} as the method made them,
     * {@code encoded} as {@code type} stores them; they count as stored. bf16, f16 and f32 are rounded from the
     * floats in registers ({@link Kernels#storedDistanceSquares}); other types are decoded back.
     */
    void onWrite(long offset, float[] src, int srcOff, MemorySegment encoded, DType type, int len) {
        written += len;
        boolean rounds = type == DType.BF16 || type == DType.F16 || type == DType.F32;
        Slot b = base >= 0 ? slots[base] : null;
        int shift = 0;
        float[] baseRead = null;
        if (handedBase != null && handedOffset <= offset && offset + len <= handedOffset + handedLength) {
            baseRead = handedBase;
            shift = (int) (offset - handedOffset);
        } else if (b != null && b.covers(offset, len)) {
            shift = (int) (offset - b.offset);
        } else if (b != null) {
            // the method wrote a range other than the base's last read: read the base there
            if (baseTile.length < len) baseTile = new float[len];
            reader.read(base, offset, baseTile, 0, len);
            baseRead = baseTile;
        }
        if (rounds && (b == null || baseRead != null)) {
            outputSquared += k.storedDistanceSquares(src, srcOff, baseRead, shift, type, len);
            return;
        }
        float[] out = block[slots.length], ref = b != null ? block[base] : null;
        one[0] = out;
        for (int from = 0; from < len; from += BLOCK) {
            int n = Math.min(BLOCK, len - from);
            if (b != null) {
                if (baseRead != null) System.arraycopy(baseRead, shift + from, ref, 0, n);
                else b.load(k, shift + from, n, ref);
            }
            if (rounds) {
                outputSquared += k.storedDistanceSquares(src, srcOff + from, ref, 0, type, n);
                continue;
            }
            k.toFloat(encoded, (long) from * type.byteSize(), type, out, 0, n);
            output[0] = 0;
            k.gram(one, 1, ref, n, output);
            outputSquared += output[0];
        }
    }

    /**
     * The tensor's numbers: reads what the method's passes left uncounted (all of it for a scan, which runs no
     * method), then sums up.
     */
    TensorStats finish() {
        while (next < numel) {
            int len = (int) Math.min(chunk, numel - next);
            for (int i = 0; i < slots.length; i++) {
                Slot s = slots[i];
                if (s.copy.length < len) s.copy = new float[len];
                reader.read(i, next, s.copy, 0, len);
                s.offset = next;
                s.length = len;
                s.bytes = null;
            }
            add(len);
            next += len;
        }
        int n = vectors.length;
        double[][] g = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int c = a; c < n; c++) g[a][c] = g[c][a] = gram[a * n + c];
        }
        return new TensorStats(name, numel, models.clone(), base, vectors.clone(), g,
                written == numel ? outputSquared : Double.NaN, tCount == 0 ? Double.NaN : tSum / tCount, kept.clone());
    }

    @Override public boolean enabled() { return true; }

    @Override public void tilesHandedOver() { handedOver = true; }

    @Override
    public void inputs(long offset, int len, int[] which, float[][] values) {
        Arrays.fill(picked, null);
        for (int j = 0; j < which.length; j++) picked[which[j]] = values[j];
        if (base >= 0) handBase(offset, len, picked[base]);
        if (offset != next || next >= numel) return;
        for (float[] p : picked) if (p == null) return;
        for (int a = 0; a < vectors.length; a++) pickedVectors[a] = picked[vectors[a]];
        k.gram(pickedVectors, vectors.length, base >= 0 ? picked[base] : null, len, gram);
        next += len;
    }

    @Override
    public void taskVectors(long offset, int len, int[] which, float[][] deltas, float[] baseValues) {
        if (base < 0) return;
        handBase(offset, len, baseValues);
        if (offset != next || next >= numel) return;
        Arrays.fill(picked, null);
        for (int j = 0; j < which.length; j++) picked[which[j]] = deltas[j];
        for (int a = 0; a < vectors.length; a++) {
            pickedVectors[a] = picked[vectors[a]];
            if (pickedVectors[a] == null) return;
        }
        // the differences are the ones gram would take itself: float32 x − b
        k.gram(pickedVectors, vectors.length, null, len, gram);
        next += len;
    }

    /** The method's Gram is the report's when it is of the same vectors against the same base, and nothing is counted yet. */
    @Override
    public boolean takesGram(int[] which, int reference) {
        if (reference != base || which.length != vectors.length || next != 0) return false;
        int[] sorted = which.clone();
        Arrays.sort(sorted);
        if (!Arrays.equals(sorted, vectors)) return false;
        promised = which.clone();
        return true;
    }

    @Override
    public void gram(double[][] g) {
        if (promised == null || next != 0) return;
        int v = vectors.length;
        int[] at = new int[slots.length];
        for (int j = 0; j < promised.length; j++) at[promised[j]] = j;
        for (int a = 0; a < v; a++) {
            for (int c = a; c < v; c++) gram[a * v + c] = g[at[vectors[a]]][at[vectors[c]]];
        }
        next = numel;
    }

    private void handBase(long offset, int len, float[] values) {
        handedBase = values;
        handedOffset = offset;
        handedLength = len;
    }

    @Override
    public void interpolation(double t) {
        tSum += t;
        tCount++;
    }

    @Override
    public void kept(int input, long count, long total) {
        kept[input] = Math.max(0, kept[input]) + count;
    }
}

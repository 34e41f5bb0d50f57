package dev.jmerge.exec;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.methods.MergeStats;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Gathers one tensor's {@link TensorStats} from the tiles its method reads and writes, so a report costs no
 * extra read: each input tile read at the first range not yet counted is copied, and once the base and every
 * other input have been read at that range the task vectors' norms and dot products are added in float64.
 * Methods read every input at the same ranges at least once (their last pass does), so this happens during
 * one of their passes; what a method did not read that way is read here at the end. Each written range is
 * compared with the base tile read last, or the base is read again for it when the method read another range.
 * Confined to the worker thread merging the tensor.
 */
final class TileStatistics implements MergeStats {

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
    private final RawReader raw;

    private final float[][] slot;       // per input: a copy of the last tile read at the pending range
    private final long[] slotOffset;
    private final int[] slotLength;
    private long next;                  // inputs are counted over [0, next)
    private final double[][] gram;
    private float[] diff = new float[0];
    private float[] stored = new float[0];
    private double outputSquared;
    private long written;
    private double tSum;
    private int tCount;
    private final long[] kept;

    TileStatistics(String name, long numel, int[] models, int base, Kernels k, int chunk, RawReader raw) {
        this.name = name;
        this.numel = numel;
        this.models = models.clone();
        this.base = base;
        this.k = k;
        this.chunk = chunk;
        this.raw = raw;
        int n = models.length;
        this.vectors = new int[base >= 0 ? n - 1 : n];
        for (int i = 0, v = 0; i < n; i++) if (i != base) vectors[v++] = i;
        this.slot = new float[n][0];
        this.slotOffset = new long[n];
        this.slotLength = new int[n];
        Arrays.fill(slotOffset, -1);
        this.gram = new double[vectors.length][vectors.length];
        this.kept = new long[n];
        Arrays.fill(kept, -1);
    }

    /** Input {@code i} was read at {@code [offset, offset+len)} into {@code src[off..]}. */
    void onRead(int i, long offset, float[] src, int off, int len) {
        boolean pending = offset == next && next < numel;
        if (i != base && !pending) return;
        float[] s = tile(i, len);
        System.arraycopy(src, off, s, 0, len);
        slotOffset[i] = offset;
        slotLength[i] = len;
        if (pending) tryCount();
    }

    /** Adds the pending range once every input has been read there. */
    private void tryCount() {
        int len = slotLength[vectors.length > 0 ? vectors[0] : base];
        for (int i = 0; i < slot.length; i++) {
            if (slotOffset[i] != next || slotLength[i] != len) return;
        }
        add(len);
        next += len;
        for (int v : vectors) slotOffset[v] = -1;
    }

    /** Adds the task vectors (or inputs) held in the slots for a range of {@code len}. */
    private void add(int len) {
        if (base >= 0) for (int v : vectors) k.sub(slot[v], slot[base], slot[v], len);
        for (int a = 0; a < vectors.length; a++) {
            gram[a][a] += k.sumSquares(slot[vectors[a]], len);
            for (int b = a + 1; b < vectors.length; b++) gram[a][b] += k.dot(slot[vectors[a]], slot[vectors[b]], len);
        }
    }

    /** {@code len} output values, encoded as {@code type}, are written at {@code offset}: they count as stored. */
    void onWrite(long offset, MemorySegment encoded, DType type, int len) {
        written += len;
        if (stored.length < len) stored = new float[len];
        float[] values = stored;
        k.toFloat(encoded, 0, type, values, 0, len);
        if (base < 0) {
            outputSquared += k.sumSquares(values, len);
            return;
        }
        float[] d = diffTile(len);
        long from = slotOffset[base];
        if (from >= 0 && from <= offset && offset + len <= from + slotLength[base]) {
            System.arraycopy(slot[base], (int) (offset - from), d, 0, len);
        } else {
            raw.read(base, offset, d, 0, len);
        }
        k.sub(values, d, d, len);
        outputSquared += k.sumSquares(d, len);
    }

    /**
     * The tensor's numbers: reads what the method's passes left uncounted (all of it for a scan, which reads
     * no method), then sums up.
     */
    TensorStats finish() {
        while (next < numel) {
            int len = (int) Math.min(chunk, numel - next);
            for (int i = 0; i < slot.length; i++) {
                raw.read(i, next, tile(i, len), 0, len);
                slotOffset[i] = next;
                slotLength[i] = len;
            }
            add(len);
            next += len;
        }
        double[][] g = new double[vectors.length][];
        for (int a = 0; a < vectors.length; a++) {
            g[a] = gram[a].clone();
            for (int b = 0; b < a; b++) g[a][b] = gram[b][a];
        }
        return new TensorStats(name, numel, models.clone(), base, vectors.clone(), g,
                written == numel ? outputSquared : Double.NaN, tCount == 0 ? Double.NaN : tSum / tCount, kept.clone());
    }

    private float[] tile(int i, int len) {
        if (slot[i].length < len) slot[i] = new float[Math.max(len, Math.min(chunk, (int) Math.min(numel, Integer.MAX_VALUE)))];
        return slot[i];
    }

    private float[] diffTile(int len) {
        if (diff.length < len) diff = new float[len];
        return diff;
    }

    @Override public boolean enabled() { return true; }

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

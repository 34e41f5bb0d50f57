package dev.jmerge.methods.sparsify;

import dev.jmerge.kernels.Kernels;
import dev.jmerge.methods.MergeInput;
import dev.jmerge.methods.Tiles;
import dev.jmerge.tensor.DType;

/**
 * Streams task vectors {@code δ_m = x_m − b} of several models over aligned tiles, reading the base once per
 * tile. Holds the tile buffers of one merge call: base, one δ per model, an output tile and a scratch tile.
 * Row-wise tiling hands out whole rows (see {@link Tiles#forEachRows}); otherwise flat tiles of the chunk size.
 */
public final class TaskVectorTiles {

    private final MergeInput in;
    private final int base;
    private final int[] models;
    private final boolean rowWise;
    private final float[] baseTile;
    private final float[][] delta;
    private final float[] out;
    private final float[] scratch;

    /** @param models input indices of the task vectors, in the order their slots are numbered */
    public TaskVectorTiles(MergeInput in, int[] models, boolean rowWise) {
        this.in = in;
        this.base = in.baseIndex();
        this.models = models.clone();
        this.rowWise = rowWise;
        long numel = in.numel();
        long capacity;
        if (rowWise) {
            long cols = Math.max(1, in.cols());
            capacity = Math.min(numel, Math.max(1, in.chunkSize() / cols) * cols);
        } else {
            capacity = Math.min(numel, in.chunkSize());
        }
        float[][] t = in.tiles(models.length + 3, Math.toIntExact(Math.max(1, capacity)));
        baseTile = t[0];
        out = t[1];
        scratch = t[2];
        delta = new float[models.length][];
        for (int m = 0; m < models.length; m++) delta[m] = t[m + 3];
    }

    public int slots() { return models.length; }

    public Kernels kernels() { return in.kernels(); }

    /** Input index of slot {@code m}. */
    public int model(int m) { return models[m]; }

    public float[] baseTile() { return baseTile; }

    public float[] delta(int m) { return delta[m]; }

    /** The δ tiles of every slot, in slot order (the kernels' form). */
    public float[][] deltas() { return delta; }

    public float[] out() { return out; }

    /** A tile-sized buffer for mask builders' own passes (not touched by this class). */
    public float[] scratch() { return scratch; }

    /** Visits the tensor's tiles in index order. */
    public void forEachTile(Tiles.TileVisitor visitor) {
        if (rowWise) Tiles.forEachRows(in.rows(), in.cols(), in.chunkSize(), visitor);
        else Tiles.forEach(in.numel(), in.chunkSize(), visitor);
    }

    public void readBase(long offset, int len) { in.read(base, offset, baseTile, 0, len); }

    /** Fills slot {@code m} with {@code x_m − b} for the tile; {@link #readBase} must have read this tile. */
    public void readDelta(int m, long offset, int len) {
        DType t = fused(in.storedType(models[m]));
        if (t != null) {
            in.kernels().storedMinus(in.storedBytes(models[m], offset, len), 0, t, baseTile, delta[m], len);
        } else {
            in.read(models[m], offset, delta[m], 0, len);
            in.kernels().sub(delta[m], baseTile, delta[m], len);
        }
    }

    /**
     * Writes the magnitude keys of slot {@code m}'s task vector for the tile into {@code keys} straight from the
     * stored bytes of both models, when both are stored alike in a dtype the kernels read so; else returns false
     * and reads nothing.
     */
    private boolean readDeltaKeys(int m, long offset, int len, int[] keys) {
        DType t = fused(in.storedType(models[m]));
        if (t == null || t != in.storedType(base)) return false;
        in.kernels().deltaKeys(in.storedBytes(models[m], offset, len), 0, in.storedBytes(base, offset, len), 0, t,
                keys, len);
        return true;
    }

    /** {@code type} when the kernels decode it within their passes ({@link Kernels#storedMinus}), else null. */
    private static DType fused(DType type) { return type == DType.BF16 || type == DType.F32 ? type : null; }

    /** Runs the passes the builders ask for (null entries need none) and returns their masks (null kept). */
    public TileMask[] build(MaskBuilder[] builders) {
        int k = builders.length;
        boolean[] want = new boolean[k];
        while (true) {
            boolean any = false;
            boolean waiting = false;
            for (int m = 0; m < k; m++) {
                want[m] = builders[m] != null && builders[m].wantsPass();
                any |= want[m];
                waiting |= builders[m] != null && builders[m].waiting();
            }
            if (!any) {
                // a builder waits only while another holds what it needs, and that one wants this pass
                if (waiting) throw new IllegalStateException("mask builders wait with none running");
                break;
            }
            forEachTile((offset, len) -> {
                boolean baseRead = false;
                for (int m = 0; m < k; m++) {
                    if (!want[m]) continue;
                    if (builders[m].observesKeys()) {
                        int[] keys = MagnitudeKey.tile(len);
                        if (readDeltaKeys(m, offset, len, keys)) {
                            builders[m].observeKeys(offset, keys, len);
                            continue;
                        }
                    }
                    if (!baseRead) readBase(offset, len);
                    baseRead = true;
                    readDelta(m, offset, len);
                    builders[m].observe(offset, delta[m], len);
                }
            });
            for (int m = 0; m < k; m++) if (want[m]) builders[m].endPass();
        }
        TileMask[] masks = new TileMask[k];
        for (int m = 0; m < k; m++) masks[m] = builders[m] == null ? null : builders[m].mask();
        return masks;
    }
}

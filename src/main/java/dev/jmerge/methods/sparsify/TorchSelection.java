package dev.jmerge.methods.sparsify;

import dev.jmerge.error.MergeException;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.ScalarLoops;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.LongUnaryOperator;

/**
 * One of mergekit's magnitude selections, as a mask builder: the elements at positions
 * {@code [keepFrom, keepTo)} of torch's output order of {@code |v|} ({@code argsort} descending for TIES,
 * {@code sort} ascending for breadcrumbs, {@code topk} for SCE), including which of several equal
 * magnitudes torch puts on each side of a cut (tie-order.md).
 *
 * <p>One pass writes the tensor's magnitude keys into the merge call's {@link TieScratch} (4 bytes an element;
 * the selection waits while another of the same call holds it) and histograms them; in memory, a second
 * histogram finds the key at each cut ({@link RadixSelect}). When equal keys straddle a cut, they become
 * tie slots numbered in index order and {@link TorchOrder} replays torch's moves inside the ranges that hold a
 * cut; the verdict on each such element is kept as one bit. The masks then apply tile by tile, on the tiles
 * the selection saw.
 */
public final class TorchSelection implements MaskBuilder {

    /** Which torch routine orders the elements. */
    public enum Call { SORT, TOPK }

    private enum Stage { WAITING, LOAD, DONE }

    private static final ValueLayout.OfInt SLOT = ValueLayout.JAVA_INT;
    /** Slots the sweeps after the load hand to the kernels at a time (the partition scans' block length too). */
    private static final int BLOCK = TorchOrder.BLOCK;

    private final long n;
    private final Call call;
    private final boolean descending;
    private final boolean zeroTiesMatter;
    private final TieScratch scratch;
    private final LongUnaryOperator keptOfNonzero;
    private long keepFrom;
    private long keepTo;
    private Stage stage = Stage.WAITING;
    private RadixSelect radix;
    private MemorySegment slots;

    // the verdict: keys in [loKey, hiKey) are kept, except the tie keys, decided one by one
    private int loKey;
    private int hiKey = Integer.MAX_VALUE;
    private int tieA = -1;
    private int tieB = -1;
    private int countA;
    private int countB;
    private long[] tieKept;
    private long[] tileStart = new long[16];
    private int[] tileLength = new int[16];
    private int[] tileA;
    private int[] tileB;
    private int tiles;
    private int depthLimit = -1;
    private final int[] positions = new int[BLOCK + 16];

    private TorchSelection(long n, Call call, boolean descending, long keepFrom, long keepTo,
                           LongUnaryOperator keptOfNonzero, boolean zeroTiesMatter, TieScratch scratch) {
        this.n = n;
        this.call = call;
        this.descending = descending;
        this.keepFrom = keepFrom;
        this.keepTo = keepTo;
        this.keptOfNonzero = keptOfNonzero;
        this.zeroTiesMatter = zeroTiesMatter;
        this.scratch = scratch;
        if (keptOfNonzero == null && !hasCut()) stage = Stage.DONE;
    }

    /**
     * Positions {@code [keepFrom, keepTo)} of {@code torch.sort(|v|)} (ascending, or descending as argsort
     * descending). For TIES and breadcrumbs the verdict on equal zeros changes no output, so pass
     * {@code zeroTiesMatter = false} to skip simulating it.
     */
    public static TorchSelection sort(long n, boolean descending, long keepFrom, long keepTo, boolean zeroTiesMatter,
                                      TieScratch scratch) {
        return new TorchSelection(n, Call.SORT, descending, keepFrom, keepTo, null, zeroTiesMatter, scratch);
    }

    /** The set {@code torch.topk(|v|, k)} returns (largest), with {@code k} computed from the number of non-zero elements. */
    public static TorchSelection topk(long n, LongUnaryOperator kOfNonzero, TieScratch scratch) {
        return new TorchSelection(n, Call.TOPK, true, 0, -1, kOfNonzero, true, scratch);
    }

    /** Replays with this depth limit instead of torch's {@code 2·lg(n)} (tests reach the heap fallbacks so). */
    TorchSelection depthLimit(int d) {
        depthLimit = d;
        return this;
    }

    /** Whether equal magnitudes straddled a cut, so torch's moves were replayed (known once done). */
    boolean replayed() { return tieKept != null; }

    /** Whether the selection keeps no element (known once no pass is wanted). */
    public boolean keepsNothing() { return keepFrom >= keepTo; }

    /** Whether the kept range ends inside the order somewhere, so values must be looked at. */
    private boolean hasCut() { return keepFrom < keepTo && (keepFrom > 0 || keepTo < n); }

    /** Kept ascending ranks are {@code [lowRank, highRank)}; a cut exists where that range ends inside [0, n). */
    private long lowRank() { return descending ? n - keepTo : keepFrom; }

    private long highRank() { return descending ? n - keepFrom : keepTo; }

    @Override
    public boolean wantsPass() {
        return switch (stage) {
            case WAITING -> {
                if (!scratch.claim(this)) yield false;
                slots = scratch.slots();
                radix = new RadixSelect(n);
                stage = Stage.LOAD;
                yield true;
            }
            case LOAD -> true;
            case DONE -> false;
        };
    }

    @Override
    public boolean waiting() { return stage == Stage.WAITING; }

    @Override
    public void observe(long offset, float[] values, int len) {
        int[] keys = MagnitudeKey.tile(len);
        scratch.kernels().magnitudeKeys(values, keys, len);
        observeKeys(offset, keys, len);
    }

    @Override
    public boolean observesKeys() { return true; }

    /** Histograms the tile's keys and writes them to the slots, flipped for an ascending sort (larger sorts first). */
    @Override
    public void observeKeys(long offset, int[] keys, int len) {
        if (stage != Stage.LOAD) throw new IllegalStateException("no pass wanted in stage " + stage);
        if (tiles == tileStart.length) {
            tileStart = Arrays.copyOf(tileStart, tiles * 2);
            tileLength = Arrays.copyOf(tileLength, tiles * 2);
        }
        tileStart[tiles] = offset;
        tileLength[tiles] = len;
        tiles++;
        radix.high(keys, len);
        if (!descending) for (int i = 0; i < len; i++) keys[i] = MagnitudeKey.MAX - keys[i];
        MemorySegment.copy(keys, 0, slots, SLOT, offset * Integer.BYTES, len);
    }

    @Override
    public void endPass() {
        if (stage != Stage.LOAD) throw new IllegalStateException("no pass wanted in stage " + stage);
        try {
            if (keptOfNonzero != null) keepTo = keptOfNonzero.applyAsLong(n - radix.zeros());
            if (hasCut()) select();
        } finally {
            radix = null;
            slots = null;
            scratch.release(this);
            stage = Stage.DONE;
        }
    }

    /** The keys at the cuts from the loaded slots, then, if equal keys straddle one, torch's moves. */
    private void select() {
        long lowRank = lowRank(), highRank = highRank();
        radix.select(lowRank > 0 && highRank < n ? new long[] {lowRank, highRank}
                : new long[] {lowRank > 0 ? lowRank : highRank});
        lowSweep();
        radix.resolve();
        long[] counts = new long[2];
        int q = 0;
        if (lowRank > 0) {
            loKey = radix.key(q);
            if (matters(q)) {
                tieA = loKey;
                counts[0] = radix.equal(q);
            }
            q++;
        }
        if (highRank < n) {
            hiKey = radix.key(q);
            if (matters(q) && hiKey != tieA) {
                if (tieA < 0) {
                    tieA = hiKey;
                    counts[0] = radix.equal(q);
                } else {
                    tieB = hiKey;
                    counts[1] = radix.equal(q);
                }
            }
        }
        if (tieA < 0) return;
        if (counts[0] + counts[1] >= Integer.MAX_VALUE) {
            throw new MergeException("a magnitude selection over " + n + " elements has " + (counts[0] + counts[1])
                    + " equal magnitudes at its cuts; at most 2^31 - 2 are supported");
        }
        countA = (int) counts[0];
        countB = (int) counts[1];
        flagTies();
        simulate();
    }

    private boolean matters(int q) {
        return radix.straddles(q) && (zeroTiesMatter || radix.key(q) != 0);
    }

    /**
     * The second histogram. Only the slots in a cut's bucket count, a few per cent of them on bf16 task vectors, so
     * the kernels list those a block at a time ({@link Kernels#slotsBetween}) instead of a branch per slot.
     */
    private void lowSweep() {
        MemorySegment s = slots;
        RadixSelect r = radix;
        Kernels k = scratch.kernels();
        int[] at = positions;
        for (int bucket : r.lowBuckets()) {
            // the bucket's keys as slots hold them: flipped for an ascending sort
            int first = bucket << 16, last = first | 0xFFFF;
            int lo = descending ? first : MagnitudeKey.MAX - last, hi = descending ? last : MagnitudeKey.MAX - first;
            for (long p = 0; p < n; p += BLOCK) {
                int c = k.slotsBetween(s, p, (int) Math.min(BLOCK, n - p), lo, hi, at);
                for (int j = 0; j < c; j++) {
                    int v = s.getAtIndex(SLOT, p + at[j]);
                    r.low(descending ? v : MagnitudeKey.MAX - v);
                }
            }
        }
    }

    /** Replaces the slots of tie keys by their ordinals (index order per group) and notes each tile's first ordinals. */
    private void flagTies() {
        MemorySegment s = slots;
        int a = sortKey(tieA), b = sortKey(tieB);
        int nextA = 0, nextB = countA;
        tileA = new int[tiles];
        tileB = new int[tiles];
        Kernels k = scratch.kernels();
        int[] at = positions;
        for (int t = 0; t < tiles; t++) {
            tileA[t] = nextA;
            tileB[t] = nextB - countA;
            long end = tileStart[t] + tileLength[t];
            // group A's slots become negative ordinals, so group B's search (b >= 0) cannot meet them
            for (long p = tileStart[t]; p < end; p += BLOCK) {
                int len = (int) Math.min(BLOCK, end - p);
                int c = k.slotsBetween(s, p, len, a, a, at);
                for (int j = 0; j < c; j++) s.setAtIndex(SLOT, p + at[j], TorchOrder.tieSlot(nextA++));
                if (b < 0) continue;
                c = k.slotsBetween(s, p, len, b, b, at);
                for (int j = 0; j < c; j++) s.setAtIndex(SLOT, p + at[j], TorchOrder.tieSlot(nextB++));
            }
        }
        if (nextA != countA || nextB != countA + countB) {
            throw new IllegalStateException("tie counts changed: " + nextA + "/" + countA + ", " + (nextB - countA)
                    + "/" + countB + " (the selection's pass must see every element once)");
        }
    }

    private int sortKey(int key) {
        if (key < 0) return -1;
        return descending ? key : MagnitudeKey.MAX - key;
    }

    private void simulate() {
        TorchOrder order = new TorchOrder(slots, sortKey(tieA), countA, sortKey(tieB), scratch.kernels());
        if (call == Call.TOPK) {
            if (depthLimit < 0) order.topk(n, keepTo);
            else order.topk(n, keepTo, depthLimit);
        } else {
            long[] cuts = keepFrom > 0 && keepTo < n ? new long[] {keepFrom, keepTo}
                    : new long[] {keepFrom > 0 ? keepFrom : keepTo};
            if (depthLimit < 0) order.sortPrefixes(n, cuts);
            else order.sortPrefixes(n, cuts, depthLimit);
        }
        tieKept = new long[(int) (((long) countA + countB + 63) >>> 6)];
        order.tiesIn(Math.max(0, keepFrom), keepTo, tieKept);
    }

    @Override
    public TileMask mask() {
        if (stage != Stage.DONE) throw new IllegalStateException("selection not finished");
        if (keepsNothing()) return (offset, delta, len) -> Arrays.fill(delta, 0, len, 0f);
        return new Mask();
    }

    /**
     * Bytes the verdicts take per model (one bit per straddling element, at most one per element), for the
     * memory estimate.
     */
    public static long verdictBytes(long numel) { return ((numel + 63) >>> 6) * Long.BYTES; }

    /** Keeps keys in {@code [loKey, hiKey)} without a branch; tie keys look up their verdict bit. */
    final class Mask implements TileMask {
        /** The verdict bits of the tile's next tie in group A, and in group B (counted after A's). */
        private final int[] cursor = new int[2];

        @Override
        public void apply(long offset, float[] delta, int len) {
            seek(offset);
            scratch.kernels().maskKeys(delta, len, loKey, hiKey - 1, tieA, tieB, tieKept, cursor);
        }

        /** Whether each of {@code values} (tile at {@code offset}) is kept; for tests, where zeros count too. */
        boolean[] kept(long offset, float[] values, int len) {
            seek(offset);
            boolean[] out = new boolean[len];
            for (int i = 0; i < len; i++) {
                int k = MagnitudeKey.of(values[i]);
                int keep = k == tieA ? ScalarLoops.verdict(tieKept, cursor, 0)
                        : k == tieB ? ScalarLoops.verdict(tieKept, cursor, 1)
                        : ~(((k - loKey) | (hiKey - 1 - k)) >> 31);
                out[i] = keep != 0;
            }
            return out;
        }

        private void seek(long offset) {
            if (tieA < 0) return;
            int t = Arrays.binarySearch(tileStart, 0, tiles, offset);
            if (t < 0) throw new IllegalStateException("tile at " + offset + " was not seen by the selection");
            cursor[0] = tileA[t];
            cursor[1] = countA + tileB[t];
        }
    }
}

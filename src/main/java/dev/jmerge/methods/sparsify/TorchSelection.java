package dev.jmerge.methods.sparsify;

import dev.jmerge.error.MergeException;
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
 * <p>Passes: two streamed radix passes find the magnitude at each cut and whether equal magnitudes straddle
 * it. When none does, values alone decide and nothing is held. Otherwise a third pass writes the tensor's
 * keys into the merge call's {@link TieScratch} (waiting while another selection of the same call holds it),
 * {@link TorchOrder} replays torch's moves inside the ranges holding a cut, and the verdict on each straddling
 * element is kept as one bit per such element, counted in index order. The masks then apply tile by tile,
 * on the tiles the selection saw.
 */
public final class TorchSelection implements MaskBuilder {

    /** Which torch routine orders the elements. */
    public enum Call { SORT, TOPK }

    private enum Stage { RADIX, WAITING, LOAD, DONE }

    private static final ValueLayout.OfInt SLOT = ValueLayout.JAVA_INT;

    private final long n;
    private final Call call;
    private final boolean descending;
    private final boolean zeroTiesMatter;
    private final TieScratch scratch;
    private final LongUnaryOperator keptOfNonzero;
    private long keepFrom;
    private long keepTo;
    private RadixSelect radix;
    private Stage stage = Stage.RADIX;

    // the verdict: keys in [loKey, hiKey) are kept, except the tie keys, decided one by one
    private int loKey;
    private int hiKey = Integer.MAX_VALUE;
    private int tieA = -1;
    private int tieB = -1;
    private int countA;
    private int countB;
    private long[] tieKept;
    private MemorySegment slots;
    private int nextA;
    private int nextB;
    private long[] tileStart = new long[16];
    private int[] tileA = new int[16];
    private int[] tileB = new int[16];
    private int tiles;
    private int depthLimit = -1;

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
        this.radix = new RadixSelect(n);
        if (keptOfNonzero == null) rank();
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

    /** Ascending ranks of the cuts, then the radix passes that find their values. */
    private void rank() {
        if (keepFrom >= keepTo || (keepFrom <= 0 && keepTo >= n)) {
            stage = Stage.DONE;
            return;
        }
        radix.select(cutRanks());
    }

    /** Kept ascending ranks are {@code [lowRank, highRank)}; a cut exists where that range ends inside [0, n). */
    private long[] cutRanks() {
        long lowRank = descending ? n - keepTo : keepFrom;
        long highRank = descending ? n - keepFrom : keepTo;
        if (lowRank > 0 && highRank < n) return new long[] {lowRank, highRank};
        return new long[] {lowRank > 0 ? lowRank : highRank};
    }

    @Override
    public boolean wantsPass() {
        return switch (stage) {
            case RADIX -> radix.wantsPass();
            case WAITING -> {
                if (!scratch.claim(this)) yield false;
                slots = scratch.slots();
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
        switch (stage) {
            case RADIX -> radix.observe(offset, values, 0, len);
            case LOAD -> load(offset, values, len);
            default -> throw new IllegalStateException("no pass wanted in stage " + stage);
        }
    }

    @Override
    public void endPass() {
        switch (stage) {
            case RADIX -> {
                radix.endPass();
                if (keepTo < 0) { // topk: k depends on the number of non-zero elements
                    keepTo = keptOfNonzero.applyAsLong(n - radix.zeros());
                    rank();
                }
                if (stage == Stage.RADIX && !radix.wantsPass()) decide();
            }
            case LOAD -> {
                simulate();
                scratch.release(this);
                slots = null;
                stage = Stage.DONE;
            }
            default -> throw new IllegalStateException("no pass wanted in stage " + stage);
        }
    }

    /** Thresholds from the cut values; a cut whose equal elements straddle it makes their key a tie group. */
    private void decide() {
        long lowRank = descending ? n - keepTo : keepFrom;
        long highRank = descending ? n - keepFrom : keepTo;
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
        radix = null;
        if (tieA < 0) {
            stage = Stage.DONE;
            return;
        }
        if (counts[0] + counts[1] >= Integer.MAX_VALUE) {
            throw new MergeException("a magnitude selection over " + n + " elements has " + (counts[0] + counts[1])
                    + " equal magnitudes at its cuts; at most 2^31 - 2 are supported");
        }
        countA = (int) counts[0];
        countB = (int) counts[1];
        stage = Stage.WAITING;
    }

    private boolean matters(int q) {
        return radix.straddles(q) && (zeroTiesMatter || radix.key(q) != 0);
    }

    private void load(long offset, float[] values, int len) {
        if (tiles == tileStart.length) {
            tileStart = Arrays.copyOf(tileStart, tiles * 2);
            tileA = Arrays.copyOf(tileA, tiles * 2);
            tileB = Arrays.copyOf(tileB, tiles * 2);
        }
        tileStart[tiles] = offset;
        tileA[tiles] = nextA;
        tileB[tiles] = nextB;
        tiles++;
        MemorySegment s = slots;
        int a = tieA, b = tieB;
        for (int i = 0; i < len; i++) {
            int k = MagnitudeKey.of(values[i]);
            int slot;
            if (k == a) slot = TorchOrder.tieSlot(nextA++);
            else if (k == b) slot = TorchOrder.tieSlot(countA + nextB++);
            else slot = descending ? k : MagnitudeKey.MAX - k;
            s.setAtIndex(SLOT, offset + i, slot);
        }
    }

    private int sortKey(int key) {
        if (key < 0) return -1;
        return descending ? key : MagnitudeKey.MAX - key;
    }

    private void simulate() {
        if (nextA != countA || nextB != countB) {
            throw new IllegalStateException("tie counts changed between passes: " + nextA + "/" + countA + ", "
                    + nextB + "/" + countB);
        }
        TorchOrder order = new TorchOrder(slots, sortKey(tieA), countA, sortKey(tieB));
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
        for (long p = Math.max(0, keepFrom); p < keepTo; p++) {
            int ord = TorchOrder.ordinal(order.slot(p));
            if (ord >= 0) tieKept[ord >>> 6] |= 1L << ord;
        }
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
        private int curA;
        private int curB;

        @Override
        public void apply(long offset, float[] delta, int len) {
            seek(offset);
            int lo = loKey, hi = hiKey - 1, a = tieA, b = tieB;
            for (int i = 0; i < len; i++) {
                int raw = Float.floatToRawIntBits(delta[i]);
                int k = Math.min(raw & 0x7FFF_FFFF, MagnitudeKey.MAX);
                int keep = (k == a || k == b) ? tieVerdict(k) : ~(((k - lo) | (hi - k)) >> 31);
                delta[i] = Float.intBitsToFloat(raw & keep);
            }
        }

        /** Whether each of {@code values} (tile at {@code offset}) is kept; for tests, where zeros count too. */
        boolean[] kept(long offset, float[] values, int len) {
            seek(offset);
            boolean[] out = new boolean[len];
            for (int i = 0; i < len; i++) {
                int k = MagnitudeKey.of(values[i]);
                int keep = (k == tieA || k == tieB) ? tieVerdict(k) : ~(((k - loKey) | (hiKey - 1 - k)) >> 31);
                out[i] = keep != 0;
            }
            return out;
        }

        private int tieVerdict(int k) {
            int ord = k == tieA ? curA++ : countA + curB++;
            return (int) -((tieKept[ord >>> 6] >>> ord) & 1L);
        }

        private void seek(long offset) {
            if (tieA < 0) return;
            int t = Arrays.binarySearch(tileStart, 0, tiles, offset);
            if (t < 0) throw new IllegalStateException("tile at " + offset + " was not seen by the selection");
            curA = tileA[t];
            curB = tileB[t];
        }
    }
}

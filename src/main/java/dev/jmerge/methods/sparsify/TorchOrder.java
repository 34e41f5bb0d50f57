package dev.jmerge.methods.sparsify;

import dev.jmerge.kernels.Kernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The data movement of libstdc++'s introsort, introselect and heap routines as torch 1.13 runs them on CPU
 * for {@code sort}/{@code argsort} and {@code topk} (the oracle mergekit's goldens came from; see
 * {@code shared/docs/tie-order.md}). The comparator looks at values only, so which of several equal values
 * ends up on which side of a cut depends on every move the algorithm makes; this class makes the same moves,
 * but only inside the ranges that still contain a cut, since elements never leave a partitioned side.
 *
 * <p>Elements are 32-bit slots in a native segment, in their original order to begin with. A slot holds a
 * non-negative sort key, larger keys first (callers flip keys for an ascending sort), or, for the elements
 * whose place is the question, {@code 0x80000000 | ordinal}: the ordinal identifies the element and stands
 * for key {@code tieKeyA} when below {@code tieCountA}, else for {@code tieKeyB}. Nothing else is stored, so
 * the simulation takes 4 bytes per element.
 */
final class TorchOrder {

    /** libstdc++'s {@code _S_threshold}: introsort leaves ranges this small to the final insertion sort. */
    static final int INSERTION_THRESHOLD = 16;
    private static final ValueLayout.OfInt SLOT = ValueLayout.JAVA_INT;
    private static final int ORDINAL = 0x7FFF_FFFF;
    /** Block length of the partition's stop-finding scans (see {@link #partition}). */
    static final int BLOCK = 128;

    private final MemorySegment a;
    private final int tieKeyA;
    private final int tieKeyB;
    private final int tieCountA;
    private final int[] stopsLeft = new int[BLOCK + 16];
    private final int[] stopsRight = new int[BLOCK + 16];
    private final Kernels kernels;

    /** @param kernels find the scans' stops a block at a time ({@link Kernels#stopsUp}) */
    TorchOrder(MemorySegment slots, int tieKeyA, int tieCountA, int tieKeyB, Kernels kernels) {
        this.a = slots;
        this.kernels = kernels;
        this.tieKeyA = tieKeyA;
        this.tieCountA = tieCountA;
        this.tieKeyB = tieKeyB;
    }

    /** A slot standing for the element of the given tie ordinal. */
    static int tieSlot(int ordinal) { return ordinal | 0x8000_0000; }

    int slot(long i) { return a.getAtIndex(SLOT, i); }

    /** Sets the bit of every tie ordinal found in {@code [from, to)}; the kernels list the tie slots a block at a time. */
    void tiesIn(long from, long to, long[] bits) {
        int[] at = stopsLeft;
        for (long p = from; p < to; p += BLOCK) {
            int c = kernels.slotsBetween(a, p, (int) Math.min(BLOCK, to - p), Integer.MIN_VALUE, -1, at);
            for (int j = 0; j < c; j++) {
                int ord = a.getAtIndex(SLOT, p + at[j]) & ORDINAL;
                bits[ord >>> 6] |= 1L << ord;
            }
        }
    }

    private int key(long i) { return keyOf(a.getAtIndex(SLOT, i)); }

    private int keyOf(int s) {
        if (s >= 0) return s;
        return (s & ORDINAL) < tieCountA ? tieKeyA : tieKeyB;
    }

    private void swap(long i, long j) {
        int t = a.getAtIndex(SLOT, i);
        a.setAtIndex(SLOT, i, a.getAtIndex(SLOT, j));
        a.setAtIndex(SLOT, j, t);
    }

    private static int lg(long m) { return 63 - Long.numberOfLeadingZeros(m); }

    /**
     * Arranges {@code [0, n)} so that for each cut {@code b} (0 < b < n, ascending) the slots in {@code [0, b)}
     * are exactly those {@code std::sort} would put there. Only the partitions containing a cut are followed.
     */
    void sortPrefixes(long n, long[] cuts) { sortPrefixes(n, cuts, 2 * lg(Math.max(1, n))); }

    /** As {@link #sortPrefixes(long, long[])} with introsort's depth limit given (tests reach the heap sort with it). */
    void sortPrefixes(long n, long[] cuts, int depthLimit) {
        if (n <= 1) return;
        long[] stack = new long[3 * 2 * 64];
        int top = 0;
        stack[top++] = 0;
        stack[top++] = n;
        stack[top++] = depthLimit;
        while (top > 0) {
            int depth = (int) stack[--top];
            long hi = stack[--top];
            long lo = stack[--top];
            if (!containsCut(cuts, lo, hi)) continue;
            if (hi - lo <= INSERTION_THRESHOLD) {
                insertionSort(lo, hi); // what the final insertion pass does to this block: stable
            } else if (depth == 0) {
                heapSelect(lo, hi, hi);
                sortHeap(lo, hi);
            } else {
                long cut = partitionAroundMedian(lo, hi);
                if (top + 6 > stack.length) stack = java.util.Arrays.copyOf(stack, stack.length * 2);
                stack[top++] = lo;
                stack[top++] = cut;
                stack[top++] = depth - 1;
                stack[top++] = cut;
                stack[top++] = hi;
                stack[top++] = depth - 1;
            }
        }
    }

    private static boolean containsCut(long[] cuts, long lo, long hi) {
        for (long b : cuts) if (lo < b && b < hi) return true;
        return false;
    }

    /**
     * {@code torch.topk} with {@code k} of {@code n}: afterwards {@code [0, k)} holds the returned set.
     * {@code k·64 ≤ n} takes the heap path ({@code partial_sort}, whose final heap sort does not change the
     * set and is skipped), otherwise {@code nth_element} at {@code k − 1}.
     */
    void topk(long n, long k) { topk(n, k, 2 * lg(Math.max(1, n))); }

    /** As {@link #topk(long, long)} with introselect's depth limit given. */
    void topk(long n, long k, int depthLimit) {
        if (k <= 0 || k >= n) return;
        if (k * 64 <= n) {
            heapSelect(0, k, n);
            return;
        }
        long nth = k - 1;
        long lo = 0, hi = n;
        int depth = depthLimit;
        while (hi - lo > 3) {
            if (depth == 0) {
                heapSelect(lo, nth + 1, hi);
                swap(lo, nth);
                return;
            }
            depth--;
            long cut = partitionAroundMedian(lo, hi);
            if (cut == k) return; // [0, k) already holds its final set; the rest only reorders inside it
            if (cut <= nth) lo = cut;
            else hi = cut;
        }
        insertionSort(lo, hi);
    }

    /** Median of the 2nd, middle and last slot moved to {@code lo}, then the unguarded partition around it. */
    long partitionAroundMedian(long lo, long hi) {
        long mid = lo + (hi - lo) / 2;
        long x = lo + 1, y = mid, z = hi - 1;
        int kx = key(x), ky = key(y), kz = key(z);
        long m;
        if (kx > ky) {
            if (ky > kz) m = y;
            else if (kx > kz) m = z;
            else m = x;
        } else if (kx > kz) {
            m = x;
        } else if (ky > kz) {
            m = z;
        } else {
            m = y; // all three equal lands here: the middle one becomes the pivot
        }
        swap(lo, m);
        return partition(lo + 1, hi, key(lo));
    }

    /**
     * Hoare's unguarded partition of {@code [left, right)} around key {@code p}: the left scan stops at keys not
     * above {@code p}, the right scan at keys not below it, and the two stops are swapped until the scans cross.
     * The i-th swap always pairs the i-th left stop with the i-th right stop, and slots the scans have not
     * reached are untouched, so the stops are found a block at a time while the next blocks cannot overlap, by
     * {@link Kernels#stopsUp} and {@link Kernels#stopsDown} (a vector of slots per compare, tie slots decoded to
     * their group's key in the vector, no branch per slot); the last stretch runs the scans one slot at a time,
     * exactly as written.
     */
    private long partition(long left, long right, int p) {
        int ka = tieKeyA, kb = tieKeyB, ca = tieCountA;
        int[] offL = stopsLeft, offR = stopsRight;
        int nl = 0, il = 0, nr = 0, ir = 0;
        long baseL = left, baseR = right; // start of the current left block; end of the current right block
        long nextL = left, nextR = right; // unscanned slots are [nextL, nextR)
        while (true) {
            if (il == nl) {
                if (nextR - nextL < BLOCK) break;
                nl = kernels.stopsUp(a, nextL, BLOCK, p, ca, ka, kb, offL);
                il = 0;
                baseL = nextL;
                nextL += BLOCK;
            }
            if (ir == nr) {
                if (nextR - nextL < BLOCK) break;
                nr = kernels.stopsDown(a, nextR, BLOCK, p, ca, ka, kb, offR);
                ir = 0;
                baseR = nextR;
                nextR -= BLOCK;
            }
            int t = Math.min(nl - il, nr - ir);
            for (int j = 0; j < t; j++) swap(baseL + offL[il + j], baseR - offR[ir + j]);
            il += t;
            ir += t;
        }
        long l = il < nl ? baseL + offL[il] : nextL;
        long r = ir < nr ? baseR - offR[ir] + 1 : nextR;
        while (true) {
            while (key(l) > p) l++;
            r--;
            while (p > key(r)) r--;
            if (l >= r) return l;
            swap(l, r);
            l++;
        }
    }

    /** libstdc++'s insertion sort: stable (an element only passes keys strictly below its own). */
    void insertionSort(long lo, long hi) {
        for (long i = lo + 1; i < hi; i++) {
            int v = slot(i);
            int kv = keyOf(v);
            long j = i;
            while (j > lo && kv > key(j - 1)) {
                a.setAtIndex(SLOT, j, slot(j - 1));
                j--;
            }
            a.setAtIndex(SLOT, j, v);
        }
    }

    /** Afterwards {@code [lo, mid)} holds the {@code mid − lo} slots that sort first (heap order inside). */
    void heapSelect(long lo, long mid, long hi) {
        makeHeap(lo, mid);
        for (long i = mid; i < hi; i++) {
            if (key(i) > key(lo)) popHeap(lo, mid, i);
        }
    }

    private void sortHeap(long lo, long hi) {
        while (hi - lo > 1) {
            hi--;
            popHeap(lo, hi, hi);
        }
    }

    private void makeHeap(long lo, long hi) {
        long len = hi - lo;
        if (len < 2) return;
        for (long parent = (len - 2) / 2; ; parent--) {
            siftDown(lo, parent, len, slot(lo + parent));
            if (parent == 0) return;
        }
    }

    /** The heap's top (the slot that sorts last) goes to {@code r}; the slot that was at {@code r} enters the heap. */
    private void popHeap(long lo, long hi, long r) {
        int v = slot(r);
        a.setAtIndex(SLOT, r, slot(lo));
        siftDown(lo, 0, hi - lo, v);
    }

    /** Moves the hole at {@code hole} down to a leaf, preferring the right child unless the left sorts later, then sifts {@code v} up. */
    private void siftDown(long b, long hole, long len, int v) {
        long top = hole;
        long child = hole;
        while (child < (len - 1) / 2) {
            child = 2 * (child + 1);
            if (key(b + child) > key(b + child - 1)) child--;
            a.setAtIndex(SLOT, b + hole, slot(b + child));
            hole = child;
        }
        if ((len & 1) == 0 && child == (len - 2) / 2) {
            child = 2 * (child + 1);
            a.setAtIndex(SLOT, b + hole, slot(b + child - 1));
            hole = child - 1;
        }
        int kv = keyOf(v);
        long parent = (hole - 1) / 2;
        while (hole > top && key(b + parent) > kv) {
            a.setAtIndex(SLOT, b + hole, slot(b + parent));
            hole = parent;
            parent = (hole - 1) / 2;
        }
        a.setAtIndex(SLOT, b + hole, v);
    }
}

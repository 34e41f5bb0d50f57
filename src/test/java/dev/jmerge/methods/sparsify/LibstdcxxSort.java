package dev.jmerge.methods.sparsify;

/**
 * The whole of libstdc++'s {@code std::sort}, {@code std::nth_element} and {@code std::partial_sort} on
 * (float value, index) pairs, as torch 1.13 calls them (tie-order.md §4), written out plainly for tests: the
 * full output order of {@code argsort}/{@code sort}/{@code topk}, which the torch vectors' hashes check and
 * which the production path ({@link TorchOrder}, int keys, only the ranges holding a cut) must agree with.
 * Comparisons are the §3 ones on floats: NaN first when descending, last when ascending; ±0 equal.
 */
public final class LibstdcxxSort {

    private final float[] v;
    private final int[] idx;
    private final boolean descending;
    private int depthOverride = -1;

    private LibstdcxxSort(float[] values, boolean descending) {
        this.v = values.clone();
        this.idx = new int[values.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        this.descending = descending;
    }

    /** {@code torch.sort(x, descending).indices} (= {@code argsort}) of a 1-D tensor. */
    public static int[] argsort(float[] x, boolean descending) { return argsort(x, descending, -1); }

    /** With introsort's depth limit given instead of {@code 2·lg(n)} (when {@code depth >= 0}). */
    static int[] argsort(float[] x, boolean descending, int depth) {
        LibstdcxxSort s = new LibstdcxxSort(x, descending);
        s.depthOverride = depth;
        s.sort(0, x.length);
        return s.idx;
    }

    /** {@code torch.topk(x, k, largest, sorted).indices}. */
    public static int[] topk(float[] x, int k, boolean largest, boolean sorted) { return topk(x, k, largest, sorted, -1); }

    static int[] topk(float[] x, int k, boolean largest, boolean sorted, int depth) {
        if (k == 0) return new int[0];
        LibstdcxxSort s = new LibstdcxxSort(x, largest);
        s.depthOverride = depth;
        int n = x.length;
        if ((long) k * 64 <= n) {
            s.heapSelect(0, k, n);
            s.sortHeap(0, k);
        } else {
            s.nthElement(0, k - 1, n);
            if (sorted) s.sort(0, k - 1);
        }
        return java.util.Arrays.copyOf(s.idx, k);
    }

    private boolean before(float a, float b) {
        if (descending) return (Float.isNaN(a) && !Float.isNaN(b)) || a > b;
        return (!Float.isNaN(a) && Float.isNaN(b)) || a < b;
    }

    private boolean before(int i, int j) { return before(v[i], v[j]); }

    private void swap(int i, int j) {
        float t = v[i];
        v[i] = v[j];
        v[j] = t;
        int u = idx[i];
        idx[i] = idx[j];
        idx[j] = u;
    }

    private static int lg(int m) { return 31 - Integer.numberOfLeadingZeros(m); }

    void sort(int lo, int hi) {
        if (hi == lo) return;
        introsortLoop(lo, hi, depthOverride >= 0 ? depthOverride : 2 * lg(hi - lo));
        if (hi - lo > 16) {
            insertionSort(lo, lo + 16);
            for (int i = lo + 16; i < hi; i++) linearInsert(i);
        } else {
            insertionSort(lo, hi);
        }
    }

    private void introsortLoop(int lo, int hi, int depth) {
        while (hi - lo > 16) {
            if (depth == 0) {
                heapSelect(lo, hi, hi);
                sortHeap(lo, hi);
                return;
            }
            depth--;
            int cut = partitionAroundMedian(lo, hi);
            introsortLoop(cut, hi, depth);
            hi = cut;
        }
    }

    private int partitionAroundMedian(int lo, int hi) {
        int a = lo + 1, b = lo + (hi - lo) / 2, c = hi - 1;
        if (before(a, b)) {
            if (before(b, c)) swap(lo, b);
            else if (before(a, c)) swap(lo, c);
            else swap(lo, a);
        } else if (before(a, c)) {
            swap(lo, a);
        } else if (before(b, c)) {
            swap(lo, c);
        } else {
            swap(lo, b);
        }
        float p = v[lo];
        int left = lo + 1, right = hi;
        while (true) {
            while (before(v[left], p)) left++;
            right--;
            while (before(p, v[right])) right--;
            if (!(left < right)) return left;
            swap(left, right);
            left++;
        }
    }

    private void insertionSort(int lo, int hi) {
        for (int i = lo + 1; i < hi; i++) {
            if (before(i, lo)) {
                float x = v[i];
                int xi = idx[i];
                System.arraycopy(v, lo, v, lo + 1, i - lo);
                System.arraycopy(idx, lo, idx, lo + 1, i - lo);
                v[lo] = x;
                idx[lo] = xi;
            } else {
                linearInsert(i);
            }
        }
    }

    private void linearInsert(int i) {
        float x = v[i];
        int xi = idx[i];
        int j = i;
        while (before(x, v[j - 1])) {
            v[j] = v[j - 1];
            idx[j] = idx[j - 1];
            j--;
        }
        v[j] = x;
        idx[j] = xi;
    }

    private void nthElement(int lo, int nth, int hi) {
        if (lo == hi || nth == hi) return;
        int depth = depthOverride >= 0 ? depthOverride : 2 * lg(hi - lo);
        while (hi - lo > 3) {
            if (depth == 0) {
                heapSelect(lo, nth + 1, hi);
                swap(lo, nth);
                return;
            }
            depth--;
            int cut = partitionAroundMedian(lo, hi);
            if (cut <= nth) lo = cut;
            else hi = cut;
        }
        insertionSort(lo, hi);
    }

    private void heapSelect(int lo, int mid, int hi) {
        makeHeap(lo, mid);
        for (int i = mid; i < hi; i++) {
            if (before(i, lo)) popHeap(lo, mid, i);
        }
    }

    private void sortHeap(int lo, int hi) {
        while (hi - lo > 1) {
            hi--;
            popHeap(lo, hi, hi);
        }
    }

    private void makeHeap(int lo, int hi) {
        int len = hi - lo;
        if (len < 2) return;
        for (int parent = (len - 2) / 2; ; parent--) {
            adjust(lo, parent, len, v[lo + parent], idx[lo + parent]);
            if (parent == 0) return;
        }
    }

    private void popHeap(int lo, int hi, int r) {
        float x = v[r];
        int xi = idx[r];
        v[r] = v[lo];
        idx[r] = idx[lo];
        adjust(lo, 0, hi - lo, x, xi);
    }

    private void adjust(int b, int hole, int len, float x, int xi) {
        int top = hole, child = hole;
        while (child < (len - 1) / 2) {
            child = 2 * (child + 1);
            if (before(b + child, b + child - 1)) child--;
            v[b + hole] = v[b + child];
            idx[b + hole] = idx[b + child];
            hole = child;
        }
        if ((len & 1) == 0 && child == (len - 2) / 2) {
            child = 2 * (child + 1);
            v[b + hole] = v[b + child - 1];
            idx[b + hole] = idx[b + child - 1];
            hole = child - 1;
        }
        int parent = (hole - 1) / 2;
        while (hole > top && before(v[b + parent], x)) {
            v[b + hole] = v[b + parent];
            idx[b + hole] = idx[b + parent];
            hole = parent;
            parent = (hole - 1) / 2;
        }
        v[b + hole] = x;
        idx[b + hole] = xi;
    }
}

package dev.jmerge.exec;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * {@code madvise(2)} on ranges of read-only file mappings, through the FFM linker: {@link #willNeed} starts
 * reading pages into the page cache without mapping them, {@link #dontNeedAddresses} drops this process's mappings of
 * pages (they stay in the page cache; the next touch maps them again). Neither changes what the mapping
 * reads. Unavailable (all calls no-ops, {@link #available()} false) off Linux or when native access is denied.
 */
final class Madvise {

    private static final int MADV_WILLNEED = 3;
    private static final int MADV_DONTNEED = 4;
    static final long PAGE = 4096;
    private static final MethodHandle MADVISE = lookup();

    private Madvise() {}

    static boolean available() { return MADVISE != null; }

    static void willNeed(MemorySegment seg, long off, long len) { advise(seg, off, len, MADV_WILLNEED, false); }

    /** Drops the pages of {@code [from, to)}, addresses that must lie inside one read-only file mapping. */
    static void dontNeedAddresses(long from, long to) {
        advise(null, from, to - from, MADV_DONTNEED, true);
    }

    private static void advise(MemorySegment seg, long off, long len, int advice, boolean roundEnd) {
        if (MADVISE == null || len <= 0) return;
        long addr = (seg == null ? 0 : seg.address()) + off;
        long start = addr & -PAGE;
        long end = roundEnd ? (addr + len + PAGE - 1) & -PAGE : addr + len;
        try {
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, advice);
        } catch (Throwable e) {
            // advice only: a refusal changes timing or memory, never the bytes read
        }
    }

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle h = linker.defaultLookup().find("madvise").map(addr -> linker.downcallHandle(addr,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT))).orElse(null);
            if (h == null) return null;
            int rc = (int) h.invokeExact(MemorySegment.NULL, 0L, MADV_WILLNEED); // proves the call is allowed
            return rc == 0 ? h : null;
        } catch (Throwable e) {
            return null;
        }
    }
}

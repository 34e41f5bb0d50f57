package dev.jmerge.exec;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Asks the kernel to start reading input bytes the workers will need soon, staying a bounded distance ahead
 * of them, so the disk streams while the cores compute. It calls {@code madvise(MADV_WILLNEED)} on the
 * inputs' read-only mappings: the kernel queues the reads into the page cache and returns, and since no
 * page is touched nothing is added to this process's resident set. Where the call is unavailable (not
 * Linux, native access denied) it does nothing and the workers' own reads fetch the bytes.
 */
final class Readahead implements Runnable {

    /** One tensor's worth of work to prefetch: its inputs' bytes, as mapped segments. */
    record Item(List<MemorySegment> inputs, long bytes) {}

    private static final long STEP = 16L << 20;

    private final List<Item> items;
    private final long ahead;
    private long advised;   // input bytes asked for so far
    private long started;   // input bytes of tensors the workers have started

    Readahead(List<Item> items, long aheadBytes) {
        this.items = items;
        this.ahead = aheadBytes;
    }

    static boolean available() { return Madvise.available(); }

    /** Called by a worker when it starts the tensor of {@code bytes} input bytes. */
    synchronized void started(long bytes) {
        started += bytes;
        notifyAll();
    }

    @Override
    public void run() {
        if (!Madvise.available()) return;
        try {
            for (Item item : items) {
                for (MemorySegment seg : item.inputs()) {
                    for (long off = 0; off < seg.byteSize(); off += STEP) {
                        long len = Math.min(STEP, seg.byteSize() - off);
                        waitForRoom(len);
                        Madvise.willNeed(seg, off, len);
                        synchronized (this) { advised += len; }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void waitForRoom(long len) throws InterruptedException {
        while (advised + len - started > ahead) wait();
    }
}

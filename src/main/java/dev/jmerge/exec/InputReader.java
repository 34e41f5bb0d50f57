package dev.jmerge.exec;

import dev.jmerge.error.MergeException;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.io.StoredTensor;
import dev.jmerge.io.ValueDelta;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Reads one input tensor as float32 in the output's shape: straight through when the shapes agree, row by
 * row when the input is a larger matrix cut to its top-left block. Values are first rounded to the config's
 * {@code dtype} when it is narrower than the stored one, as mergekit casts inputs on load.
 *
 * <p>Bytes are decoded straight from the input's read-only mapping, and the pages read are dropped from
 * this process again ({@link Madvise#dontNeed}) every {@link #RELEASE_BYTES} and whenever a pass starts over,
 * so at most a few MB of each input are resident whatever the tensor size. Where madvise is unavailable the
 * bytes come with positional reads into the calling thread's buffer instead, which bounds memory the same
 * way at the cost of a copy (see docs/design.md).
 */
final class InputReader implements TensorReader {

    /** Mapped bytes read since the last release after which they are released. */
    static final long RELEASE_BYTES = 4L << 20;
    static final long FAULT_AROUND = 64L << 10;
    /**
     * How far beyond the bytes read a release reaches: a fault can map more than {@link #FAULT_AROUND} where the
     * page cache holds large folios (up to a 2 MB one, on recent kernels), and dropping a few pages too many only
     * costs their reader a fault.
     */
    static final long RELEASE_MARGIN = 2L << 20;

    private final MemorySegment mapped;   // null: read with pread
    private final boolean releasable;     // mapped pages are dropped as the reader moves on
    private long touchedLo = Long.MAX_VALUE;
    private long touchedHi = Long.MIN_VALUE;
    private final long fileSize;
    private final Path file;
    private final FileChannel channel;
    private final long fileOffset;
    private final long byteSize;
    private final DType stored;
    private final DType roundTo;
    private final long inCols;
    private final long outCols;
    private final boolean direct;
    private final TileBuffers buf;
    private final ValueDelta lora;

    /**
     * @param in the tensor: its bytes in the file's mapping (used when pages can be released), the file and where
     *           the tensor starts in it, and the change its source adds to the values read (a LoRA delta), if any
     * @param channel {@code in.file()} open for positional reads
     * @param buf the worker thread's buffers (readers are built on the thread that uses them)
     */
    InputReader(StoredTensor in, FileChannel channel, Shape outShape, DType loadDtype, TileBuffers buf) {
        this.releasable = Madvise.available();
        this.mapped = releasable ? in.bytes() : null;
        this.buf = buf;
        this.lora = in.delta();
        this.file = in.file();
        this.fileSize = size(channel, file);
        this.channel = channel;
        this.fileOffset = in.info().begin();
        this.stored = in.info().dtype();
        Shape inShape = in.info().shape();
        this.byteSize = in.info().byteSize();
        this.roundTo = narrowerFloat(loadDtype, stored) ? loadDtype : null;
        this.inCols = inShape.lastAxis();
        this.outCols = outShape.lastAxis();
        this.direct = inShape.numel() == outShape.numel();
    }

    static boolean narrowerFloat(DType load, DType stored) {
        return load != null && load != stored && load.isFloating() && stored.isFloating()
                && (load == DType.BF16 || load == DType.F16);
    }

    private static long size(FileChannel channel, Path file) {
        try {
            return channel.size();
        } catch (IOException e) {
            throw new MergeException(file + ": cannot read its size (" + e + ")", e);
        }
    }

    @Override
    public void read(Kernels k, long offset, float[] dst, int dstOff, int len) {
        int es = stored.byteSize();
        if (direct) {
            MemorySegment bytes = fetch(buf, offset * es, (long) len * es);
            k.toFloat(bytes, 0, stored, dst, dstOff, len);
            if (lora != null) lora.addTo(k, offset, dst, dstOff, len);
        } else {
            int done = 0;
            while (done < len) {
                long e = offset + done;
                long row = e / outCols, col = e % outCols;
                int n = (int) Math.min(len - done, outCols - col);
                MemorySegment bytes = fetch(buf, (row * inCols + col) * es, (long) n * es);
                k.toFloat(bytes, 0, stored, dst, dstOff + done, n);
                if (lora != null) lora.addTo(k, row * inCols + col, dst, dstOff + done, n);
                done += n;
            }
        }
        if (lora != null) round(stored, dst, dstOff, len); // the merged weight lives in the stored dtype
        round(roundTo, dst, dstOff, len);
    }

    /** The mapped bytes of a read that was a plain decode: same shape, no adapter, no rounding. */
    @Override
    public MemorySegment source(long offset, int len) {
        if (storedType() == null) return null;
        int es = stored.byteSize();
        return mapped.asSlice(offset * es, (long) len * es);
    }

    /** Reads are plain decodes of mapped bytes: same shape, no adapter, no rounding. */
    @Override
    public DType storedType() { return mapped != null && direct && lora == null && roundTo == null ? stored : null; }

    @Override
    public MemorySegment stored(long offset, int len) {
        int es = stored.byteSize();
        return fetch(buf, offset * es, (long) len * es);
    }

    /** Rounds values to {@code to} (bf16 or f16) as a cast on load would; null leaves them. */
    static void round(DType to, float[] dst, int off, int len) {
        if (to == DType.BF16) {
            for (int i = off; i < off + len; i++) dst[i] = ScalarKernels.bf16ToFloat(ScalarKernels.floatToBf16(dst[i]));
        } else if (to == DType.F16) {
            for (int i = off; i < off + len; i++) dst[i] = Float.float16ToFloat(Float.floatToFloat16(dst[i]));
        }
    }

    /**
     * Drops the mapped pages read since the last release. A fault maps the pages around the one touched too
     * (fault-around, 64 KB by default, or a whole large folio), so the range released is widened by
     * {@link #RELEASE_MARGIN} below (and, when the tensor is done, above), within the file's mapping: otherwise the pages a tensor's first fault maps below its start, belonging to the
     * previous tensor and perhaps already released by its reader, would stay resident, some KB per tensor and
     * input, so peak RSS would grow with the number of tensors (measured: +14 % with twice the layers, +6 % now).
     */
    private void release() { drop(0); }

    /** Drops whatever this reader may have mapped; called when its tensor is done (see {@link #release}). */
    @Override
    public void finish() { drop(RELEASE_MARGIN); }

    /** Drops the pages read since the last release, {@link #RELEASE_MARGIN} below them and {@code above} above. */
    private void drop(long above) {
        if (!releasable || touchedHi <= touchedLo) return;
        long fileStart = mapped.address() - fileOffset; // the whole file is mapped from offset 0
        long from = Math.max(fileStart, mapped.address() + touchedLo - RELEASE_MARGIN);
        long to = Math.min(fileStart + fileSize, mapped.address() + touchedHi + above);
        Madvise.dontNeedAddresses(from, to);
        touchedLo = Long.MAX_VALUE;
        touchedHi = Long.MIN_VALUE;
    }

    /**
     * The {@code n} bytes of the tensor starting at {@code byteOff}: a slice of the mapping, or a copy in the
     * thread's read buffer. The slice starts at 0 of the returned segment either way.
     */
    private MemorySegment fetch(TileBuffers buf, long byteOff, long n) {
        if (byteOff < 0 || byteOff + n > byteSize) {
            throw new IllegalArgumentException("read past the tensor: " + byteOff + "+" + n + " > " + byteSize);
        }
        if (mapped != null) {
            // a read behind the window means a new pass: what was read is not needed again soon
            if (byteOff < touchedLo || touchedHi - touchedLo >= RELEASE_BYTES) release();
            touchedLo = Math.min(touchedLo, byteOff);
            touchedHi = Math.max(touchedHi, byteOff + n);
            return mapped.asSlice(byteOff, n);
        }
        ByteBuffer bb = buf.readBuffer(Math.toIntExact(n));
        long pos = fileOffset + byteOff;
        try {
            while (bb.hasRemaining()) {
                int r = channel.read(bb, pos);
                if (r < 0) throw new MergeException(file + ": ends before byte " + (pos + bb.remaining())
                        + "; the file was truncated or changed during the merge");
                pos += r;
            }
        } catch (IOException e) {
            throw new MergeException(file + ": read failed at byte " + pos + " (" + e + ")", e);
        }
        return MemorySegment.ofBuffer(bb.flip());
    }
}

package dev.jmerge.io.pytorch;

import dev.jmerge.error.MergeException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The central directory of a zip file already mapped in memory, zip64 included (checkpoints pass 4 GiB).
 * Only the data of STORED entries is handed out: PyTorch writes its storages uncompressed, which is what lets
 * us slice tensors straight out of the mapping instead of inflating them.
 */
final class ZipEntries {

    private static final int EOCD = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_EOCD = 0x06064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** One entry: where its local header is, how it is compressed and how big it is. */
    record Entry(String name, int method, long compressedSize, long size, long localHeader) {}

    private final Path file;
    private final MemorySegment zip;
    private final Map<String, Entry> entries;

    private ZipEntries(Path file, MemorySegment zip, Map<String, Entry> entries) {
        this.file = file;
        this.zip = zip;
        this.entries = entries;
    }

    static ZipEntries read(Path file, MemorySegment zip) {
        try {
            return new ZipEntries(file, zip, Collections.unmodifiableMap(directory(file, zip)));
        } catch (IndexOutOfBoundsException e) {
            throw bad(file, "zip directory points outside the file");
        }
    }

    Map<String, Entry> entries() { return entries; }

    /** The bytes of a STORED entry, as a slice of the mapping. */
    MemorySegment data(Entry e) {
        if (e.method() != 0) {
            throw bad(file, "zip entry '" + e.name() + "' is compressed (method " + e.method()
                    + "); PyTorch checkpoints store tensor data uncompressed, re-save it with torch.save");
        }
        if (e.compressedSize() != e.size()) throw bad(file, "zip entry '" + e.name() + "' has inconsistent sizes");
        try {
            long h = e.localHeader();
            if (zip.get(I32, h) != LOCAL) throw bad(file, "zip entry '" + e.name() + "' has no local header");
            int nameLen = Short.toUnsignedInt(zip.get(I16, h + 26));
            int extraLen = Short.toUnsignedInt(zip.get(I16, h + 28));
            long start = h + 30 + nameLen + extraLen;
            return zip.asSlice(start, e.size());
        } catch (IndexOutOfBoundsException x) {
            throw bad(file, "zip entry '" + e.name() + "' extends past the end of the file");
        }
    }

    /** Offset of a STORED entry's first data byte within the file. */
    long dataOffset(Entry e) { return data(e).address() - zip.address(); }

    private static Map<String, Entry> directory(Path file, MemorySegment zip) {
        long size = zip.byteSize();
        long eocd = -1;
        for (long p = size - 22; p >= Math.max(0, size - 22 - 65535); p--) {
            if (zip.get(I32, p) == EOCD) { eocd = p; break; }
        }
        if (eocd < 0) throw bad(file, "not a zip file (no end of central directory)");
        long count = Short.toUnsignedInt(zip.get(I16, eocd + 10));
        long dirOffset = Integer.toUnsignedLong(zip.get(I32, eocd + 16));
        if ((count == 0xFFFF || dirOffset == 0xFFFFFFFFL) && eocd >= 20 && zip.get(I32, eocd - 20) == ZIP64_LOCATOR) {
            long z = zip.get(I64, eocd - 20 + 8);
            if (zip.get(I32, z) != ZIP64_EOCD) throw bad(file, "broken zip64 end of central directory");
            count = zip.get(I64, z + 32);
            dirOffset = zip.get(I64, z + 48);
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        long p = dirOffset;
        for (long i = 0; i < count; i++) {
            if (zip.get(I32, p) != CENTRAL) throw bad(file, "broken zip central directory (entry " + i + ")");
            int method = Short.toUnsignedInt(zip.get(I16, p + 10));
            long csize = Integer.toUnsignedLong(zip.get(I32, p + 20));
            long usize = Integer.toUnsignedLong(zip.get(I32, p + 24));
            int nameLen = Short.toUnsignedInt(zip.get(I16, p + 28));
            int extraLen = Short.toUnsignedInt(zip.get(I16, p + 30));
            int commentLen = Short.toUnsignedInt(zip.get(I16, p + 32));
            long local = Integer.toUnsignedLong(zip.get(I32, p + 42));
            String name = new String(zip.asSlice(p + 46, nameLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            // zip64: the extra field carries, in this order, whichever of the three sizes overflowed 32 bits.
            long x = p + 46 + nameLen, xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = Short.toUnsignedInt(zip.get(I16, x));
                int len = Short.toUnsignedInt(zip.get(I16, x + 2));
                if (id == 1) {
                    long q = x + 4;
                    if (usize == 0xFFFFFFFFL) { usize = zip.get(I64, q); q += 8; }
                    if (csize == 0xFFFFFFFFL) { csize = zip.get(I64, q); q += 8; }
                    if (local == 0xFFFFFFFFL) { local = zip.get(I64, q); }
                }
                x += 4 + len;
            }
            if (usize < 0 || csize < 0 || local < 0 || local >= size) {
                throw bad(file, "zip entry '" + name + "' has an impossible size or offset");
            }
            out.put(name, new Entry(name, method, csize, usize, local));
            p += 46 + nameLen + extraLen + commentLen;
        }
        return out;
    }

    static MergeException bad(Path file, String what) {
        return new MergeException(file + ": " + what);
    }
}

package dev.jmerge.io.pytorch;

import dev.jmerge.error.MergeException;
import dev.jmerge.io.pytorch.RestrictedUnpickler.TensorRef;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.io.WeightFile;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A PyTorch zip checkpoint ({@code torch.save} since 1.6) mapped read-only. The pickle is read by
 * {@link RestrictedUnpickler}; tensor data is sliced lazily out of the STORED storage entries.
 */
public final class PytorchCheckpoint implements WeightFile {

    private final Path file;
    private final Arena arena;
    private final MemorySegment whole;
    private final Map<String, TensorInfo> tensors;

    private PytorchCheckpoint(Path file, Arena arena, MemorySegment whole, Map<String, TensorInfo> tensors) {
        this.file = file;
        this.arena = arena;
        this.whole = whole;
        this.tensors = tensors;
    }

    public static PytorchCheckpoint open(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Arena arena = Arena.ofShared();
            try {
                MemorySegment whole = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
                return new PytorchCheckpoint(file, arena, whole, read(file, whole));
            } catch (RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            throw new MergeException(file + ": no such file; expected a PyTorch checkpoint", e);
        } catch (IOException e) {
            throw new MergeException(file + ": cannot open or map (" + e + ")", e);
        }
    }

    private static Map<String, TensorInfo> read(Path file, MemorySegment whole) {
        if (whole.byteSize() < 4 || whole.get(ValueLayout.JAVA_INT_UNALIGNED, 0) != 0x04034b50) {
            throw new MergeException(file + ": not a zip-format PyTorch checkpoint (the legacy pre-1.6 format is not"
                    + " read; re-save it with a recent torch.save or convert it to safetensors)");
        }
        ZipEntries zip = ZipEntries.read(file, whole);
        String prefix = null;
        for (String name : zip.entries().keySet()) {
            if (name.endsWith("data.pkl") && (name.equals("data.pkl") || name.endsWith("/data.pkl"))) {
                prefix = name.substring(0, name.length() - "data.pkl".length());
                break;
            }
        }
        if (prefix == null) throw new MergeException(file + ": zip has no data.pkl; expected a PyTorch checkpoint");
        var order = zip.entries().get(prefix + "byteorder");
        if (order != null) {
            String bo = new String(zip.data(order).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).strip();
            if (!bo.equals("little")) throw new MergeException(file + ": byteorder '" + bo + "' is not supported (little only)");
        }
        MemorySegment pkl = zip.data(zip.entries().get(prefix + "data.pkl"));
        if (pkl.byteSize() > Integer.MAX_VALUE - 16) throw new MergeException(file + ": data.pkl is too large");
        Object root = RestrictedUnpickler.load(file, pkl.toArray(ValueLayout.JAVA_BYTE));
        if (root instanceof Map<?, ?> m && m.get("state_dict") instanceof Map<?, ?> inner) root = inner;
        if (!(root instanceof Map<?, ?> dict)) {
            throw new MergeException(file + ": the checkpoint does not hold a dict of tensors");
        }
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (var e : dict.entrySet()) {
            if (!(e.getValue() instanceof TensorRef t)) continue; // non-tensor entries are training metadata
            if (!(e.getKey() instanceof String name)) throw new MergeException(file + ": a tensor key is not a string");
            out.put(name, locate(file, zip, prefix, name, t));
        }
        if (out.isEmpty()) throw new MergeException(file + ": the checkpoint holds no tensors");
        return Collections.unmodifiableMap(out);
    }

    private static TensorInfo locate(Path file, ZipEntries zip, String prefix, String name, TensorRef t) {
        long[] size = t.size();
        long[] stride = t.stride();
        if (stride.length != size.length) throw new MergeException(file + ": tensor '" + name + "' has mismatched size and stride");
        long expected = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] < 0) throw new MergeException(file + ": tensor '" + name + "' has a negative dimension");
            if (size[i] != 1 && stride[i] != expected) {
                throw new MergeException(file + ": tensor '" + name + "' is not contiguous (size "
                        + Arrays.toString(size) + ", stride " + Arrays.toString(stride)
                        + "); save it with .contiguous() or convert the checkpoint to safetensors");
            }
            expected = Math.multiplyExact(expected, size[i]);
        }
        var entry = zip.entries().get(prefix + "data/" + t.storage().key());
        if (entry == null) {
            throw new MergeException(file + ": tensor '" + name + "' refers to storage '" + t.storage().key()
                    + "', which the zip does not contain");
        }
        long esize = t.storage().dtype().byteSize();
        long begin = Math.multiplyExact(t.offset(), esize);
        long bytes = Math.multiplyExact(expected, esize);
        MemorySegment data = zip.data(entry);
        if (t.offset() < 0 || begin + bytes > data.byteSize()) {
            throw new MergeException(file + ": tensor '" + name + "' reaches past the end of its storage");
        }
        long at = zip.dataOffset(entry) + begin;
        return new TensorInfo(name, t.storage().dtype(), new Shape(size), at, at + bytes);
    }

    @Override
    public Path path() { return file; }

    @Override
    public Map<String, TensorInfo> tensors() { return tensors; }

    @Override
    public MemorySegment segment(TensorInfo info) {
        if (tensors.get(info.name()) != info) throw new IllegalArgumentException(info.name() + " is not a tensor of " + file);
        return whole.asSlice(info.begin(), info.byteSize());
    }

    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}

package dev.jmerge.io.safetensors;

import static dev.jmerge.io.Failures.bad;
import static dev.jmerge.io.Failures.quote;

import dev.jmerge.io.TensorInfo;
import dev.jmerge.io.WeightFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * A safetensors file opened read-only and mapped whole with FFM: one segment, no 2 GiB windows. Segments handed
 * out stay valid until {@link #close()}, which unmaps at once; the shared arena lets any thread read them.
 */
public final class SafetensorsFile implements WeightFile {

    private final SafetensorsHeader header;
    private final Arena arena;
    private final MemorySegment whole;

    private SafetensorsFile(SafetensorsHeader header, Arena arena, MemorySegment whole) {
        this.header = header;
        this.arena = arena;
        this.whole = whole;
    }

    /** Opens, validates the header against the file size, then maps the file. */
    public static SafetensorsFile open(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SafetensorsHeader header = SafetensorsHeader.read(file, channel);
            Arena arena = Arena.ofShared();
            try {
                // The mapping survives the channel's close; the size read with the header is the one validated.
                MemorySegment whole = channel.map(FileChannel.MapMode.READ_ONLY, 0, header.fileSize(), arena);
                return new SafetensorsFile(header, arena, whole);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            throw bad(file, "no such file", "a safetensors file", e);
        } catch (IOException e) {
            throw bad(file, "cannot open or map (" + e + ")", "a readable safetensors file", e);
        }
    }

    @Override
    public Path path() { return header.file(); }

    public SafetensorsHeader header() { return header; }

    /** Tensors in the order the header lists them. */
    @Override
    public Map<String, TensorInfo> tensors() { return header.tensors(); }

    public Map<String, String> metadata() { return header.metadata(); }

    /** File offset of the data section ({@code 8 + header length}); the header's data_offsets count from here. */
    public long dataOffset() { return header.dataOffset(); }

    /**
     * The bytes of one tensor of this file, little-endian as stored. Not necessarily aligned to the element size:
     * read with the {@code *_UNALIGNED} value layouts.
     */
    @Override
    public MemorySegment segment(TensorInfo info) {
        if (header.tensors().get(info.name()) != info) {
            throw new IllegalArgumentException(info.name() + " is not a tensor of " + header.file());
        }
        return whole.asSlice(info.begin(), info.byteSize());
    }

    /** The bytes of the named tensor. */
    public MemorySegment segment(String name) {
        TensorInfo info = header.tensors().get(name);
        if (info == null) {
            throw bad(header.file(), "no tensor " + quote(name), "one of its " + header.tensors().size() + " tensors");
        }
        return segment(info);
    }

    /** Unmaps the file; segments obtained from it must not be used afterwards. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}

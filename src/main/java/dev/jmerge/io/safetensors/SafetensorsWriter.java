package dev.jmerge.io.safetensors;

import static dev.jmerge.io.Failures.bad;
import static dev.jmerge.io.Failures.quote;
import static dev.jmerge.io.Failures.writeFailed;

import dev.jmerge.io.TensorInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;

/**
 * Writes one safetensors file whose layout is known up front: the header goes out first, the file is sized, and
 * the data section is mapped read-write so tensors can be filled in any order, from any thread, through
 * {@link #tensorSegment}. {@link #finish()} forces the mapping to disk and closes. Closing without finishing
 * leaves an incomplete file (for the caller to delete).
 *
 * <p>Header: {@code __metadata__} first, then the tensors in the given order with contiguous offsets; compact
 * JSON padded with spaces so the data section starts at a multiple of 8 bytes, as the reference writer does.
 */
public final class SafetensorsWriter implements AutoCloseable {

    public static final Map<String, String> DEFAULT_METADATA = Map.of("format", "pt");

    private static final int ALIGNMENT = 8;

    private final Path file;
    private final FileChannel channel;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final long dataOffset;
    private boolean done;

    private SafetensorsWriter(Path file, FileChannel channel, Arena arena, MemorySegment data,
                              Map<String, TensorInfo> tensors, long dataOffset) {
        this.file = file;
        this.channel = channel;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.dataOffset = dataOffset;
    }

    /** Creates (or replaces) {@code folder/shard.fileName()} holding the shard's tensors. */
    public static SafetensorsWriter create(Path folder, ShardLayout.Shard shard) {
        return create(folder.resolve(shard.fileName()), shard.tensors(), DEFAULT_METADATA);
    }

    /** Creates (or replaces) {@code file} with {@code {"format": "pt"}} metadata. */
    public static SafetensorsWriter create(Path file, List<TensorSpec> specs) {
        return create(file, specs, DEFAULT_METADATA);
    }

    public static SafetensorsWriter create(Path file, List<TensorSpec> specs, Map<String, String> metadata) {
        Map<String, TensorInfo> relative = new LinkedHashMap<>();
        long offset = 0;
        for (TensorSpec s : specs) {
            long end = offset + s.byteSize();
            if (relative.put(s.name(), new TensorInfo(s.name(), s.dtype(), s.shape(), offset, end)) != null) {
                throw new IllegalArgumentException("tensor " + s.name() + " listed twice");
            }
            offset = end;
        }
        long dataBytes = offset;
        byte[] header = headerBytes(relative, metadata);
        long dataOffset = 8L + header.length;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo t : relative.values()) {
            tensors.put(t.name(), new TensorInfo(t.name(), t.dtype(), t.shape(), dataOffset + t.begin(), dataOffset + t.end()));
        }

        FileChannel channel = null;
        Arena arena = Arena.ofShared();
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            ByteBuffer head = ByteBuffer.allocate((int) dataOffset).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(header.length).put(header).flip();
            while (head.hasRemaining()) channel.write(head, head.position());
            // Mapping past the end grows the file to its final size (sparse until the tensors are written).
            MemorySegment data = dataBytes == 0 ? MemorySegment.NULL
                    : channel.map(FileChannel.MapMode.READ_WRITE, dataOffset, dataBytes, arena);
            return new SafetensorsWriter(file, channel, arena, data, Collections.unmodifiableMap(tensors), dataOffset);
        } catch (IOException | RuntimeException e) {
            arena.close();
            closeQuietly(channel, e);
            if (e instanceof IOException io) {
                throw writeFailed(file, dataOffset + dataBytes, "cannot create (" + io + ")", "a writable output folder", io);
            }
            throw (RuntimeException) e;
        }
    }

    public Path path() { return file; }

    /** Layout of the file being written, in write order; offsets are positions in the file. */
    public Map<String, TensorInfo> tensors() { return tensors; }

    public long dataOffset() { return dataOffset; }

    /** The writable bytes of one tensor; distinct tensors may be filled concurrently. */
    public MemorySegment tensorSegment(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) throw new IllegalArgumentException("no tensor " + quote(name) + " in " + file);
        return data.asSlice(info.begin() - dataOffset, info.byteSize());
    }

    /** Forces every written byte to the device, then closes: the file is complete and durable on return. */
    public synchronized void finish() {
        if (done) throw new IllegalStateException(file + " already finished or closed");
        try {
            if (data.byteSize() > 0) data.force();
            channel.force(true);
        } catch (IOException e) {
            throw writeFailed(file, -1, "cannot flush to disk (" + e + ")", "a writable device with free space", e);
        } catch (RuntimeException e) {
            throw bad(file, "cannot flush to disk (" + e + ")", "a writable device with free space", e);
        } finally {
            close();
        }
    }

    /** Unmaps and closes; after {@link #finish()} a no-op, otherwise the file is left incomplete. */
    @Override
    public synchronized void close() {
        if (done) return;
        done = true;
        arena.close();
        try {
            channel.close();
        } catch (IOException e) {
            throw bad(file, "cannot close (" + e + ")", "a writable output folder", e);
        }
    }

    /** @param tensors with offsets relative to the data section, as the header states them */
    static byte[] headerBytes(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = Json.FACTORY.createGenerator(ObjectWriteContext.empty(), out)) {
            g.writeStartObject();
            g.writeName("__metadata__");
            g.writeStartObject();
            for (Map.Entry<String, String> e : metadata.entrySet()) g.writeStringProperty(e.getKey(), e.getValue());
            g.writeEndObject();
            for (TensorInfo t : tensors.values()) {
                g.writeName(t.name());
                g.writeStartObject();
                g.writeStringProperty("dtype", t.dtype().safetensorsName());
                g.writeName("shape");
                long[] shape = t.shape().dims();
                g.writeArray(shape, 0, shape.length);
                g.writeName("data_offsets");
                g.writeArray(new long[] {t.begin(), t.end()}, 0, 2);
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        byte[] json = out.toByteArray();
        int padded = (int) (Math.ceilDiv(8L + json.length, ALIGNMENT) * ALIGNMENT - 8);
        byte[] result = Arrays.copyOf(json, padded);
        Arrays.fill(result, json.length, padded, (byte) ' ');
        return result;
    }

    private static void closeQuietly(FileChannel channel, Exception primary) {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}

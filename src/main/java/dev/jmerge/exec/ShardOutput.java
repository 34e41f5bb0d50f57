package dev.jmerge.exec;

import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.ShardLayout;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** One output shard being filled: header written and file pre-sized up front, tensors written in place. */
final class ShardOutput implements AutoCloseable {

    private final SafetensorsWriter writer;

    private ShardOutput(SafetensorsWriter writer) { this.writer = writer; }

    static ShardOutput create(Path folder, ShardLayout.Shard shard) {
        return new ShardOutput(SafetensorsWriter.create(folder, shard));
    }

    MemorySegment segment(String tensor) { return writer.tensorSegment(tensor); }

    /** Flushes the data durably; the file is complete afterwards. */
    void finish() { writer.finish(); }

    @Override
    public void close() { writer.close(); }
}

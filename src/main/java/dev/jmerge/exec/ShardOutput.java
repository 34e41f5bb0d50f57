package dev.jmerge.exec;

import dev.jmerge.error.OutputWriteException;
import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One output shard being filled: header written and file pre-sized up front by {@link SafetensorsWriter},
 * tensors then written in place with positional writes (not through the writer's mapping, whose dirtied
 * pages would count in the resident set until forced and unmapped: see docs/design.md). Public for the other
 * writers of safetensors outputs (LoRA extraction).
 */
public final class ShardOutput implements AutoCloseable {

    private final SafetensorsWriter writer;
    private final FileChannel channel;
    private final java.util.concurrent.atomic.AtomicLong unflushed = new java.util.concurrent.atomic.AtomicLong();

    private ShardOutput(SafetensorsWriter writer, FileChannel channel) {
        this.writer = writer;
        this.channel = channel;
    }

    public static ShardOutput create(Path folder, ShardLayout.Shard shard) {
        SafetensorsWriter w = SafetensorsWriter.create(folder, shard);
        try {
            return new ShardOutput(w, FileChannel.open(w.path(), StandardOpenOption.WRITE));
        } catch (IOException e) {
            w.close();
            throw new OutputWriteException(w.path(), -1, w.path() + ": cannot open for writing (" + e + ")", e);
        }
    }

    /** Writes {@code src} (position to limit) at byte {@code byteOffset} of the tensor's data. */
    public void write(String tensor, long byteOffset, ByteBuffer src) {
        TensorInfo info = writer.tensors().get(tensor);
        if (info == null) throw new IllegalArgumentException("no tensor " + tensor + " in " + writer.path());
        if (byteOffset < 0 || byteOffset + src.remaining() > info.byteSize()) {
            throw new IllegalArgumentException("write past tensor " + tensor + ": " + byteOffset + "+" + src.remaining());
        }
        long pos = info.begin() + byteOffset;
        long end = pos + src.remaining();
        try {
            int n = src.remaining();
            while (src.hasRemaining()) pos += channel.write(src, pos);
            unflushed.addAndGet(n);
        } catch (IOException e) {
            throw new OutputWriteException(writer.path(), end, writer.path() + ": write failed at byte " + pos + " ("
                    + e + ")", e);
        }
    }

    /**
     * Starts the written data on its way to the device when at least {@code threshold} bytes are waiting, so
     * that write-back overlaps the merge instead of all happening in {@link #finish()}.
     */
    public void flushIfDirty(long threshold) {
        if (unflushed.get() < threshold) return;
        unflushed.set(0);
        try {
            channel.force(false);
        } catch (IOException e) {
            // finish() forces again and reports a failure that persists
        }
    }

    /** Flushes the data durably; the file is complete afterwards. */
    public void finish() {
        try {
            channel.force(true);
            channel.close();
        } catch (IOException e) {
            throw new OutputWriteException(writer.path(), -1, writer.path() + ": cannot flush to disk (" + e + ")", e);
        }
        writer.finish();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the incomplete file is deleted with the temporary folder
        }
        writer.close();
    }
}

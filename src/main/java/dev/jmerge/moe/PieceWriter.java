package dev.jmerge.moe;

import dev.jmerge.error.MergeException;
import dev.jmerge.exec.InputFiles;
import dev.jmerge.exec.ShardOutput;
import dev.jmerge.exec.TensorStreams;
import dev.jmerge.io.StoredTensor;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.methods.random.CounterRng;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One worker's writes of MoE output tensors, a tile at a time. A piece taken unchanged in its own dtype is copied
 * byte for byte with positional reads (no decoding, no mapped pages kept); otherwise it is decoded, given the
 * expert's noise and residual scale as mergekit-moe applies them (in the input's dtype: noise added, rounded;
 * multiplied, rounded) and encoded in the output dtype.
 */
final class PieceWriter {

    static final int TILE = 1 << 16;

    private final Kernels kernels;
    private final TensorStreams streams;
    private final InputFiles inputs;
    private final long seed;
    private final float[] tile = new float[TILE];
    private final ByteBuffer buf = ByteBuffer.allocateDirect(TILE * 8).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer rounding = ByteBuffer.allocateDirect(TILE * 2).order(ByteOrder.LITTLE_ENDIAN);

    PieceWriter(Kernels kernels, TensorStreams streams, InputFiles inputs, long seed) {
        this.kernels = kernels;
        this.streams = streams;
        this.inputs = inputs;
        this.seed = seed;
    }

    /** The stream key of a piece's noise: the run's seed and the per-expert tensor name, whatever the layout. */
    static long noiseKey(long seed, String stream) {
        return CounterRng.key(seed, "moe.noise:" + stream, 0);
    }

    void copy(MoeTensor.Piece p, MoeTensor t, ShardOutput shard) {
        DType out = t.dtype();
        long at = p.offset() * out.byteSize();
        LoadedModel m = p.model();
        StoredTensor stored = m.weights().stored(p.tensor());
        if (p.verbatim() && p.dtype() == out && stored.delta() == null
                && stored.file().getFileName().toString().endsWith(".safetensors")) {
            copyBytes(inputs.channel(stored.file()), stored.info().begin(), p.numel() * out.byteSize(), t, at, shard);
            return;
        }
        TensorStreams.Stream in = streams.open(m, p.tensor());
        long key = p.noise() == null ? 0 : noiseKey(seed, p.stream());
        try {
            for (long off = 0; off < p.numel(); off += TILE) {
                int len = (int) Math.min(TILE, p.numel() - off);
                in.read(off, tile, 0, len);
                if (p.noise() != null) {
                    double sd = p.noise();
                    for (int i = 0; i < len; i++) tile[i] = (float) (tile[i] + sd * CounterRng.normal(key, off + i));
                    roundTo(p.dtype(), len);
                }
                if (p.scale() != null) {
                    float s = (float) (double) p.scale();
                    for (int i = 0; i < len; i++) tile[i] *= s;
                    roundTo(p.dtype(), len);
                }
                write(t, at + off * out.byteSize(), len, shard);
            }
        } finally {
            in.finish();
        }
    }

    /** Rows {@code [first, first + count)} of a layer's gate matrix. */
    void gate(double[][] rows, int first, int count, MoeTensor t, ShardOutput shard) {
        int h = rows[first].length;
        long at = 0;
        int perTile = Math.max(1, TILE / h);
        for (int r0 = 0; r0 < count; r0 += perTile) {
            int n = Math.min(perTile, count - r0);
            for (int r = 0; r < n; r++) {
                double[] row = rows[first + r0 + r];
                for (int i = 0; i < h; i++) tile[r * h + i] = (float) row[i];
            }
            write(t, at, n * h, shard);
            at += (long) n * h * t.dtype().byteSize();
        }
    }

    void zeros(MoeTensor t, ShardOutput shard) {
        java.util.Arrays.fill(tile, 0f);
        for (long off = 0; off < t.numel(); off += TILE) {
            int len = (int) Math.min(TILE, t.numel() - off);
            write(t, off * t.dtype().byteSize(), len, shard);
        }
    }

    private void write(MoeTensor t, long byteOffset, int len, ShardOutput shard) {
        buf.clear();
        kernels.fromFloat(tile, 0, MemorySegment.ofBuffer(buf), 0, t.dtype(), len);
        buf.limit(len * t.dtype().byteSize());
        shard.write(t.name(), byteOffset, buf);
    }

    /** The tile as the input's 16-bit dtype holds it (what torch's arithmetic in that dtype rounds to). */
    private void roundTo(DType type, int len) {
        if (type.byteSize() != 2) return;
        MemorySegment s = MemorySegment.ofBuffer(rounding);
        kernels.fromFloat(tile, 0, s, 0, type, len);
        kernels.toFloat(s, 0, type, tile, 0, len);
    }

    private void copyBytes(FileChannel from, long offset, long bytes, MoeTensor t, long at, ShardOutput shard) {
        try {
            for (long done = 0; done < bytes; ) {
                int n = (int) Math.min(buf.capacity(), bytes - done);
                buf.clear().limit(n);
                while (buf.hasRemaining()) {
                    if (from.read(buf, offset + done + buf.position()) < 0) {
                        throw new MergeException(t.name() + ": an input file ended early; it was changed during the run");
                    }
                }
                shard.write(t.name(), at + done, buf.flip());
                done += n;
            }
        } catch (IOException e) {
            throw new MergeException(t.name() + ": cannot read its input (" + e.getMessage() + ")", e);
        }
    }
}

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
import java.util.Arrays;
import java.util.List;

/**
 * One worker's writes of MoE output tensors, a tile at a time. A piece taken unchanged in its own dtype is copied
 * byte for byte with positional reads (no decoding, no mapped pages kept); otherwise it is decoded, given the
 * expert's noise and residual scale as mergekit-moe applies them (in the input's dtype: noise added, rounded;
 * multiplied, rounded) and encoded in the output dtype. For a report, the pieces of one layer's MLP tensor are
 * copied together ({@link #copyTogether}) and summed as they pass.
 */
final class PieceWriter {

    static final int TILE = 1 << 16;

    private final Kernels kernels;
    private final TensorStreams streams;
    private final InputFiles inputs;
    private final long seed;
    private final float[] tile = new float[TILE];
    private final ByteBuffer buf = ByteBuffer.allocateDirect(TILE * 8).order(ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment bytes = MemorySegment.ofBuffer(buf);
    private final ByteBuffer rounding = ByteBuffer.allocateDirect(TILE * 2).order(ByteOrder.LITTLE_ENDIAN);
    private float[][] tiles = new float[0][];

    /** A piece and the output tensor and shard it goes to. */
    record Placement(MoeTensor.Piece piece, MoeTensor tensor, ShardOutput shard) {}

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
        if (p.verbatim() && p.dtype() == out && asStored(stored)) {
            FileChannel from = inputs.channel(stored.file());
            long bytes = p.numel() * out.byteSize();
            for (long done = 0; done < bytes; done += buf.limit()) {
                readFully(from, stored.info().begin() + done, (int) Math.min(buf.capacity(), bytes - done), t.name());
                shard.write(t.name(), at + done, buf);
            }
            return;
        }
        TensorStreams.Stream in = streams.open(m, p.tensor());
        long key = p.noise() == null ? 0 : noiseKey(seed, p.stream());
        try {
            for (long off = 0; off < p.numel(); off += TILE) {
                int len = (int) Math.min(TILE, p.numel() - off);
                in.read(off, tile, 0, len);
                adjust(p, key, off, len);
                write(t, at + off * out.byteSize(), len, shard);
            }
        } finally {
            in.finish();
        }
    }

    /**
     * Copies the pieces of {@code g} a tile at a time, every piece's tile before the next tile, and adds the tile's
     * task vectors to the group's Gram matrix: a model's values are decoded from the bytes just copied or taken from
     * the values just read (before noise and scale), while they are in cache; the base, unless an expert is the
     * base, is read for the sums alone. Output bytes are those {@link #copy} writes.
     */
    void copyTogether(ExpertSums.Group g, List<Placement> placements) {
        int slots = g.models().size();
        float[][] values = tiles(slots);
        int n = placements.size();
        Input[] in = new Input[n];
        Input[] alone = new Input[slots];
        long[] keys = new long[n];
        int[] fills = new int[n]; // the slot whose values a piece's tile gives, -1 where an earlier piece gives them
        boolean[] filled = new boolean[slots];
        try {
            for (int i = 0; i < n; i++) {
                MoeTensor.Piece p = placements.get(i).piece();
                in[i] = new Input(p.model(), p.tensor(), placements.get(i).tensor().name());
                keys[i] = p.noise() == null ? 0 : noiseKey(seed, p.stream());
                int s = g.slot(p.model());
                fills[i] = filled[s] ? -1 : s;
                filled[s] = true;
            }
            for (int s = 0; s < slots; s++) {
                LoadedModel m = g.models().get(s);
                if (!filled[s]) alone[s] = new Input(m, g.tensor(), g.tensor() + " of '" + m.label() + "'");
            }
            for (long off = 0; off < g.numel(); off += TILE) {
                int len = (int) Math.min(TILE, g.numel() - off);
                for (int i = 0; i < n; i++) {
                    copyTile(placements.get(i), in[i], keys[i], off, len, fills[i] < 0 ? null : values[fills[i]]);
                }
                for (int s = 0; s < slots; s++) if (alone[s] != null) alone[s].values(off, len, values[s]);
                kernels.gram(values, g.baseSlot(), values[g.baseSlot()], len, g.gram());
            }
        } finally {
            for (Input i : in) if (i != null) i.finish();
            for (Input i : alone) if (i != null) i.finish();
        }
    }

    /** Elements {@code [off, off + len)} of a piece into its output; their values, as read, into {@code keep}. */
    private void copyTile(Placement pl, Input in, long key, long off, int len, float[] keep) {
        MoeTensor.Piece p = pl.piece();
        MoeTensor t = pl.tensor();
        DType out = t.dtype();
        long at = (p.offset() + off) * out.byteSize();
        if (p.verbatim() && p.dtype() == out && in.asStored()) {
            in.bytes(off, len);
            pl.shard().write(t.name(), at, buf);
            if (keep != null) kernels.toFloat(bytes, 0, out, keep, 0, len);
            return;
        }
        in.values(off, len, tile);
        if (keep != null) System.arraycopy(tile, 0, keep, 0, len);
        adjust(p, key, off, len);
        write(t, at, len, pl.shard());
    }

    /** The expert's noise and residual scale on the tile, each rounded to the input's dtype as mergekit-moe rounds. */
    private void adjust(MoeTensor.Piece p, long key, long off, int len) {
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
    }

    /** {@code count} tiles of floats, kept for the next group. */
    private float[][] tiles(int count) {
        if (tiles.length < count) {
            float[][] more = Arrays.copyOf(tiles, count);
            for (int s = tiles.length; s < count; s++) more[s] = new float[TILE];
            tiles = more;
        }
        return tiles;
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
        Arrays.fill(tile, 0f);
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

    /** Whether a tensor's bytes are the values it presents: a safetensors file and no adapter. */
    private static boolean asStored(StoredTensor s) {
        return s.delta() == null && s.file().getFileName().toString().endsWith(".safetensors");
    }

    /** {@code n} bytes from {@code position} into {@code buf}, flipped for writing; errors name {@code what}. */
    private void readFully(FileChannel from, long position, int n, String what) {
        buf.clear().limit(n);
        try {
            while (buf.hasRemaining()) {
                if (from.read(buf, position + buf.position()) < 0) {
                    throw new MergeException(what + ": an input file ended early; it was changed during the run");
                }
            }
        } catch (IOException e) {
            throw new MergeException(what + ": cannot read its input (" + e.getMessage() + ")", e);
        }
        buf.flip();
    }

    /**
     * One input tensor read a tile at a time: positional reads of its bytes where they are its values
     * ({@link #asStored}), else decoded through its stream (an adapter applied).
     */
    private final class Input {
        private final String what;
        private final DType type;
        private final FileChannel file;
        private final long begin;
        private final TensorStreams.Stream stream;

        Input(LoadedModel m, String tensor, String what) {
            StoredTensor s = m.weights().stored(tensor);
            this.what = what;
            this.type = s.info().dtype();
            boolean plain = PieceWriter.asStored(s);
            this.file = plain ? inputs.channel(s.file()) : null;
            this.begin = s.info().begin();
            this.stream = plain ? null : streams.open(m, tensor);
        }

        boolean asStored() { return file != null; }

        /** Elements {@code [off, off + len)} as stored, into {@code buf}. */
        void bytes(long off, int len) {
            readFully(file, begin + off * type.byteSize(), len * type.byteSize(), what);
        }

        void values(long off, int len, float[] dst) {
            if (stream != null) {
                stream.read(off, dst, 0, len);
                return;
            }
            bytes(off, len);
            kernels.toFloat(bytes, 0, type, dst, 0, len);
        }

        void finish() {
            if (stream != null) stream.finish();
        }
    }
}

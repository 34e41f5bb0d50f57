package dev.jmerge.methods;

import dev.jmerge.tensor.Shape;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** An in-memory {@link MergeInput} for method tests: float arrays in, float array out. */
public final class ArrayInput implements MergeInput {

    private final String name;
    private final long[] shape;
    private final float[][] inputs;
    private final int baseIndex;
    private final Params global;
    private final Params[] perModel;
    private Kernels kernels = new ScalarKernels();
    private int chunk = 4096;
    private long seed = 42;
    private DType storedAs;
    private MemorySegment[] stored;
    /** How many reads went through {@link #storedBytes}. */
    public int storedReads;
    public final List<String> warnings = new ArrayList<>();

    public ArrayInput(String name, long[] shape, float[][] inputs, int baseIndex, Params global, Params... perModel) {
        this.name = name;
        this.shape = shape;
        this.inputs = inputs;
        this.baseIndex = baseIndex;
        this.global = global;
        this.perModel = perModel.length == 0 ? filled(inputs.length) : perModel;
        if (this.perModel.length != inputs.length) throw new IllegalArgumentException("one Params per input");
    }

    private static Params[] filled(int n) {
        Params[] p = new Params[n];
        Arrays.fill(p, Params.empty());
        return p;
    }

    public ArrayInput chunk(int c) { this.chunk = c; return this; }

    public ArrayInput seed(long s) { this.seed = s; return this; }

    public ArrayInput kernels(Kernels k) { this.kernels = k; return this; }

    /**
     * Offers the inputs as stored bytes of {@code type} too ({@link #storedBytes}), as the executor does for mapped
     * files; the values must be exact in that type.
     */
    public ArrayInput stored(DType type) {
        storedAs = type;
        stored = new MemorySegment[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            MemorySegment s = MemorySegment.ofArray(new byte[inputs[i].length * type.byteSize()]);
            new ScalarKernels().fromFloat(inputs[i], 0, s, 0, type, inputs[i].length);
            float[] back = new float[inputs[i].length];
            new ScalarKernels().toFloat(s, 0, type, back, 0, back.length);
            if (!Arrays.equals(back, inputs[i])) throw new IllegalArgumentException("input " + i + " is not exact in " + type);
            stored[i] = s;
        }
        return this;
    }

    /** Runs {@code method} and returns the output as a float array. */
    public float[] run(MergeMethod method) {
        float[] out = new float[Math.toIntExact(numel())];
        Arrays.fill(out, Float.NaN); // unwritten elements show up as NaN
        method.merge(this, (offset, src, srcOff, len) -> System.arraycopy(src, srcOff, out, (int) offset, len));
        return out;
    }

    @Override public String tensorName() { return name; }
    @Override public Shape shape() { return new Shape(shape); }
    @Override public int count() { return inputs.length; }
    @Override public int baseIndex() { return baseIndex; }
    @Override public Params global() { return global; }
    @Override public Params model(int i) { return perModel[i]; }

    @Override
    public void read(int i, long offset, float[] dst, int dstOff, int len) {
        System.arraycopy(inputs[i], (int) offset, dst, dstOff, len);
    }

    @Override public DType storedType(int i) { return storedAs; }

    @Override
    public MemorySegment storedBytes(int i, long offset, int len) {
        storedReads++;
        return stored[i].asSlice(offset * storedAs.byteSize(), (long) len * storedAs.byteSize());
    }

    @Override public Kernels kernels() { return kernels; }
    @Override public int chunkSize() { return chunk; }

    @Override
    public float[][] tiles(int count, int length) {
        return new float[count][length];
    }

    @Override public long seed() { return seed; }
    /** Prefixed like the executor does, so tests see what a user would. */
    @Override public void warn(String message) { warnings.add("tensor '" + name + "': " + message); }
}

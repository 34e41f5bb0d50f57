package dev.jmerge.forward;

import dev.jmerge.io.safetensors.SafetensorsFile;
import dev.jmerge.io.TensorInfo;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** A reference file written by src/test/python/forward_reference.py: float64 and int64 tensors by name. */
final class Fixture implements AutoCloseable {

    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final SafetensorsFile file;

    Fixture(Path path) { file = SafetensorsFile.open(path); }

    boolean has(String name) { return file.tensors().containsKey(name); }

    long[] shape(String name) { return file.tensors().get(name).shape().dims(); }

    double[] doubles(String name) {
        TensorInfo t = file.tensors().get(name);
        MemorySegment s = file.segment(t);
        double[] v = new double[(int) (s.byteSize() / 8)];
        for (int i = 0; i < v.length; i++) v[i] = s.get(F64, 8L * i);
        return v;
    }

    int[] ints(String name) {
        TensorInfo t = file.tensors().get(name);
        MemorySegment s = file.segment(t);
        int[] v = new int[(int) (s.byteSize() / 8)];
        for (int i = 0; i < v.length; i++) v[i] = Math.toIntExact(s.get(I64, 8L * i));
        return v;
    }

    @Override
    public void close() { file.close(); }
}

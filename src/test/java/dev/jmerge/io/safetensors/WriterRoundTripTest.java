package dev.jmerge.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.io.TensorInfo;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Writer output read back by our reader and by an independent plain-Jackson / ByteBuffer reading. */
class WriterRoundTripTest {

    @TempDir
    Path dir;

    /** Element values as the dtype stores them, drawn so every dtype sees signs, zeros and extremes. */
    private static long[] values(DType d, int n, SplittableRandom rnd) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (d) {
                case F64 -> Double.doubleToRawLongBits(rnd.nextDouble(-1e300, 1e300));
                case F32 -> Float.floatToRawIntBits((float) rnd.nextDouble(-1e30, 1e30));
                case F16 -> Float.floatToFloat16((float) rnd.nextDouble(-60000, 60000));
                case BF16 -> Float.floatToRawIntBits((float) rnd.nextDouble(-1e30, 1e30)) >>> 16;
                case I64 -> rnd.nextLong();
                case I32 -> rnd.nextInt();
                case I16 -> (short) rnd.nextInt();
                case I8, F8_E4M3, F8_E5M2 -> (byte) rnd.nextInt();
                case U8 -> rnd.nextInt(256);
                case BOOL -> rnd.nextInt(2);
            };
        }
        return v;
    }

    private static void put(MemorySegment s, DType d, long i, long v) {
        long at = i * d.byteSize();
        switch (d.byteSize()) {
            case 8 -> s.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at, v);
            case 4 -> s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at, (int) v);
            case 2 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at, (short) v);
            default -> s.set(ValueLayout.JAVA_BYTE, at, (byte) v);
        }
    }

    /** Reads element i from the file bytes with a ByteBuffer: a path that shares nothing with the FFM reader. */
    private static long get(ByteBuffer file, DType d, long fileOffset) {
        int at = Math.toIntExact(fileOffset);
        return switch (d.byteSize()) {
            case 8 -> file.getLong(at);
            case 4 -> file.getInt(at);
            case 2 -> d == DType.I16 ? file.getShort(at) : Short.toUnsignedLong(file.getShort(at));
            default -> d == DType.U8 || d == DType.BOOL ? Byte.toUnsignedLong(file.get(at)) : file.get(at);
        };
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyDtypeRoundTrips(DType d) throws IOException {
        SplittableRandom rnd = new SplittableRandom(d.ordinal() * 7919L + 1);
        List<TensorSpec> specs = List.of(
                new TensorSpec("a.weight", d, Shape.of(3, 5)),
                new TensorSpec("scalar", d, Shape.of()),
                new TensorSpec("empty", d, Shape.of(0, 4)),
                new TensorSpec("b.bias", d, Shape.of(7)));
        Path file = dir.resolve("rt.safetensors");
        long[][] written = new long[specs.size()][];
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs)) {
            // Filled in reverse order: the layout is fixed up front, so order does not matter.
            for (int k = specs.size() - 1; k >= 0; k--) {
                TensorSpec s = specs.get(k);
                long[] v = values(d, (int) s.numel(), rnd);
                MemorySegment seg = w.tensorSegment(s.name());
                assertThat(seg.byteSize()).isEqualTo(s.byteSize());
                for (int i = 0; i < v.length; i++) put(seg, d, i, v[i]);
                written[k] = v;
            }
            w.finish();
        }

        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.tensors().keySet()).containsExactly("a.weight", "scalar", "empty", "b.bias");
            assertThat(f.metadata()).isEqualTo(Map.of("format", "pt"));
            assertThat(f.header().unusedBytes()).isZero();
            for (int k = 0; k < specs.size(); k++) {
                TensorSpec s = specs.get(k);
                TensorInfo info = f.tensors().get(s.name());
                assertThat(info.dtype()).isEqualTo(d);
                assertThat(info.shape()).isEqualTo(s.shape());
                MemorySegment seg = f.segment(info);
                long[] v = written[k];
                for (int i = 0; i < v.length; i++) {
                    long fileOffset = info.begin() + (long) i * d.byteSize();
                    long expected = d.byteSize() == 2 && d != DType.I16 ? v[i] & 0xFFFF : v[i];
                    assertThat(get(raw, d, fileOffset)).as("%s[%d] in the file", s.name(), i).isEqualTo(expected);
                    byte[] element = new byte[d.byteSize()];
                    raw.get((int) fileOffset, element);
                    assertThat(seg.asSlice((long) i * d.byteSize(), d.byteSize()).toArray(ValueLayout.JAVA_BYTE))
                            .as("%s[%d] through the mapping", s.name(), i).isEqualTo(element);
                }
            }
        }
    }

    @Test
    void headerIsCompactMetadataFirstContiguousAndAlignedToEight() throws IOException {
        for (int nameLength = 1; nameLength <= 9; nameLength++) {
            String name = "t".repeat(nameLength);
            Path file = dir.resolve("h" + nameLength + ".safetensors");
            List<TensorSpec> specs = List.of(new TensorSpec(name, DType.F16, Shape.of(3)),
                    new TensorSpec("ü/ñ \"q\"", DType.I64, Shape.of(2, 1)));
            try (SafetensorsWriter w = SafetensorsWriter.create(file, specs)) {
                w.finish();
            }
            byte[] bytes = Files.readAllBytes(file);
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertThat((8 + n) % 8).isZero();
            assertThat(bytes).hasSize((int) (8 + n + 6 + 16));
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            String json = header.stripTrailing();
            assertThat(header.substring(json.length())).matches(" {0,7}");
            assertThat(json).startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"" + name + "\":{\"dtype\":\"F16\"")
                    .doesNotContain("\n", ": ", ", ");
            JsonNode root = JsonMapper.builder().build().readTree(json);
            List<String> keys = new ArrayList<>();
            for (Iterator<String> it = root.propertyNames().iterator(); it.hasNext(); ) keys.add(it.next());
            assertThat(keys).containsExactly("__metadata__", name, "ü/ñ \"q\"");
            assertThat(root.get(name).get("data_offsets").get(0).asLong()).isZero();
            assertThat(root.get(name).get("data_offsets").get(1).asLong()).isEqualTo(6);
            assertThat(root.get("ü/ñ \"q\"").get("data_offsets").get(0).asLong()).isEqualTo(6);
            assertThat(root.get("ü/ñ \"q\"").get("data_offsets").get(1).asLong()).isEqualTo(22);
            assertThat(root.get("ü/ñ \"q\"").get("shape").toString()).isEqualTo("[2,1]");
        }
    }

    @Test
    void tensorsFilledFromSeveralThreadsLandInTheirOwnRanges() throws Exception {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < 64; i++) specs.add(new TensorSpec("t" + i, DType.F32, Shape.of(1 + i * 37L)));
        Path file = dir.resolve("mt.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs)) {
            specs.parallelStream().forEach(s -> {
                MemorySegment seg = w.tensorSegment(s.name());
                int id = Integer.parseInt(s.name().substring(1));
                for (long i = 0; i < s.numel(); i++) {
                    seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, id * 1000f + i);
                }
            });
            w.finish();
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorSpec s : specs) {
                MemorySegment seg = f.segment(s.name());
                int id = Integer.parseInt(s.name().substring(1));
                for (long i = 0; i < s.numel(); i++) {
                    assertThat(seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)).isEqualTo(id * 1000f + i);
                }
            }
        }
    }

    @Test
    void writerRefusesUnknownNamesAndDuplicateTensors() {
        Path file = dir.resolve("x.safetensors");
        List<TensorSpec> dup = List.of(new TensorSpec("a", DType.U8, Shape.of(1)),
                new TensorSpec("a", DType.U8, Shape.of(1)));
        assertThatThrownBy(() -> SafetensorsWriter.create(file, dup)).isInstanceOf(IllegalArgumentException.class);
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(new TensorSpec("a", DType.U8, Shape.of(1))))) {
            assertThatThrownBy(() -> w.tensorSegment("b")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void fileWithoutTensorsHoldsOnlyItsHeader() throws IOException {
        Path file = dir.resolve("none.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of())) {
            w.finish();
        }
        assertThat(Files.size(file)).isEqualTo(40);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.tensors()).isEmpty();
            assertThat(f.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void segmentsDieWithTheirFile() {
        Path file = dir.resolve("c.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(new TensorSpec("a", DType.F32, Shape.of(2))))) {
            w.finish();
        }
        SafetensorsFile f = SafetensorsFile.open(file);
        MemorySegment seg = f.segment("a");
        f.close();
        f.close();
        assertThatThrownBy(() -> seg.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }
}

package dev.jmerge.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.jmerge.io.TensorInfo;
import dev.jmerge.error.MergeException;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of a valid file: whatever the bytes, opening and reading every reported tensor either works or
 * fails with a MergeException naming the file, never anything else.
 */
class MutationFuzzTest {

    private static final int ITERATIONS = 2000;
    private static final byte[] JSON_CHARS = "{}[]\":,-0123456789eE. x\\".getBytes();

    @TempDir
    Path dir;

    private byte[] validFile() throws IOException {
        Path file = dir.resolve("valid.safetensors");
        List<TensorSpec> specs = List.of(
                new TensorSpec("model.embed_tokens.weight", DType.BF16, Shape.of(8, 4)),
                new TensorSpec("model.norm.weight", DType.F32, Shape.of(4)),
                new TensorSpec("scale", DType.F64, Shape.of()),
                new TensorSpec("ids", DType.I64, Shape.of(3)),
                new TensorSpec("mask", DType.BOOL, Shape.of(5)),
                new TensorSpec("empty", DType.F16, Shape.of(0, 3)));
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt", "note", "fuzz"))) {
            byte fill = 1;
            for (TensorSpec s : specs) w.tensorSegment(s.name()).fill(fill++);
            w.finish();
        }
        return Files.readAllBytes(file);
    }

    private static String mutate(byte[] valid, SplittableRandom rnd, byte[][] out) {
        byte[] b = valid.clone();
        int headerEnd = (int) (8 + ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        int kind = rnd.nextInt(7);
        String what;
        switch (kind) {
            case 0 -> {
                int flips = 1 + rnd.nextInt(4);
                for (int i = 0; i < flips; i++) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                what = flips + " bit flips anywhere";
            }
            case 1 -> {
                int flips = 1 + rnd.nextInt(3);
                for (int i = 0; i < flips; i++) b[8 + rnd.nextInt(headerEnd - 8)] ^= (byte) (1 << rnd.nextInt(8));
                what = flips + " bit flips in the header";
            }
            case 2 -> {
                int len = rnd.nextInt(b.length);
                b = Arrays.copyOf(b, len);
                what = "truncated to " + len;
            }
            case 3 -> {
                long n = switch (rnd.nextInt(3)) {
                    case 0 -> rnd.nextLong();
                    case 1 -> headerEnd - 8 + rnd.nextInt(-24, 25);
                    default -> rnd.nextLong(0, b.length);
                };
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
                what = "length field " + n;
            }
            case 4 -> {
                int at = 8 + rnd.nextInt(headerEnd - 8);
                b[at] = JSON_CHARS[rnd.nextInt(JSON_CHARS.length)];
                what = "header byte " + at + " -> '" + (char) b[at] + "'";
            }
            case 5 -> {
                // Digits grow or shrink an offset or dimension, keeping the JSON well formed.
                int at = 8 + rnd.nextInt(headerEnd - 8);
                while (at < headerEnd && !Character.isDigit(b[at])) at++;
                if (at < headerEnd) b[at] = (byte) ('0' + rnd.nextInt(10));
                what = "digit at " + at;
            }
            default -> {
                int from = 8 + rnd.nextInt(headerEnd - 8);
                int len = rnd.nextInt(1, 16);
                byte[] grown = new byte[b.length + len];
                System.arraycopy(b, 0, grown, 0, from);
                System.arraycopy(b, from, grown, from + len, b.length - from);
                for (int i = 0; i < len; i++) grown[from + i] = JSON_CHARS[rnd.nextInt(JSON_CHARS.length)];
                ByteBuffer.wrap(grown).order(ByteOrder.LITTLE_ENDIAN).putLong(0, headerEnd - 8 + len);
                b = grown;
                what = len + " bytes inserted in the header at " + from;
            }
        }
        out[0] = b;
        return what;
    }

    @Test
    void onlyMergeExceptionsEscape() throws IOException {
        byte[] valid = validFile();
        Path file = dir.resolve("mutant.safetensors");
        SplittableRandom rnd = new SplittableRandom(20251129L);
        int accepted = 0;
        int refused = 0;
        byte[][] holder = new byte[1][];
        for (int i = 0; i < ITERATIONS; i++) {
            String what = mutate(valid, rnd, holder);
            Files.write(file, holder[0]);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (TensorInfo t : f.tensors().values()) {
                    MemorySegment seg = f.segment(t);
                    for (long k = 0; k < seg.byteSize(); k++) seg.get(ValueLayout.JAVA_BYTE, k);
                }
                accepted++;
            } catch (MergeException e) {
                assertThat(e.getMessage()).as("iteration %d (%s)", i, what)
                        .startsWith(file + ": ").contains("; expected ").doesNotContain("\n");
                refused++;
            } catch (RuntimeException | Error e) {
                fail("iteration " + i + " (" + what + ") threw " + e, e);
            }
        }
        // Both outcomes must be common, or the mutations are not exercising the parser.
        assertThat(accepted).isGreaterThan(ITERATIONS / 20);
        assertThat(refused).isGreaterThan(ITERATIONS / 4);
    }
}

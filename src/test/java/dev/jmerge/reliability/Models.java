package dev.jmerge.reliability;

import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/** Model folders and configs for the reliability tests, and surgery on their safetensors files. */
final class Models {

    static final ModelShape TINY = ModelShape.tiny(DType.F32);

    private Models() {}

    /** A base model and a fine-tune of {@code shape} under {@code dir}, and a linear config merging them. */
    static Path linearSetup(Path dir, ModelShape shape, long maxShardBytes) {
        Path base = dir.resolve("base"), ft = dir.resolve("ft");
        SyntheticModels.write(base, shape, 11, 0, 0.1, maxShardBytes);
        SyntheticModels.write(ft, shape, 11, 1, 0.1, maxShardBytes);
        return config(dir, base, ft);
    }

    static Path config(Path dir, Path base, Path ft) {
        return writeString(dir.resolve("merge.yml"), """
                merge_method: linear
                models:
                  - model: %s
                    parameters: {weight: 0.6}
                  - model: %s
                    parameters: {weight: 0.4}
                dtype: float32
                """.formatted(base, ft));
    }

    static Path writeString(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The JSON header of a safetensors file as text. */
    static String header(Path file) {
        byte[] b = read(file);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return new String(b, 8, (int) n, StandardCharsets.UTF_8);
    }

    /** Replaces the header with {@code header} bytes (length field updated), keeping the data section. */
    static void replaceHeader(Path file, byte[] header) {
        byte[] b = read(file);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] data = Arrays.copyOfRange(b, (int) (8 + n), b.length);
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header).put(data);
        write(file, out.array());
    }

    static void replaceHeader(Path file, String header) {
        replaceHeader(file, header.getBytes(StandardCharsets.UTF_8));
    }

    /** Overwrites the 8-byte length field. */
    static void setLengthField(Path file, long value) {
        byte[] b = read(file);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
        write(file, b);
    }

    /** Relative path to CRC32C of every file under {@code dir}: what "unchanged" means for a folder. */
    static Map<String, Long> checksums(Path dir) {
        Map<String, Long> sums = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                CRC32C crc = new CRC32C();
                byte[] buf = new byte[1 << 16];
                try (var in = Files.newInputStream(p)) {
                    for (int n; (n = in.read(buf)) > 0; ) crc.update(buf, 0, n);
                }
                sums.put(dir.relativize(p).toString(), crc.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sums;
    }
}

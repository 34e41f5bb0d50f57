package dev.jmerge.methods;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Test-only reader for the small float32 safetensors files of mergekit's goldens: an 8-byte little-endian
 * header length, a JSON header, then the data. Only F32 tensors are accepted.
 */
final class GoldenTensors {

    static final Path ROOT = root();

    private static Path root() {
        try {
            return Path.of(GoldenTensors.class.getResource("/mergekit-goldens").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    record Tensor(long[] shape, float[] data) {}

    private GoldenTensors() {}

    static Map<String, Tensor> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = Math.toIntExact(buf.getLong(0));
        JsonNode header = JsonMapper.builder().build()
                .readTree(new String(all, 8, headerLen, StandardCharsets.UTF_8));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : header.properties()) {
            if (e.getKey().equals("__metadata__")) continue;
            JsonNode t = e.getValue();
            if (!t.get("dtype").asString().equals("F32")) {
                throw new IllegalArgumentException(file + ": " + e.getKey() + " is not F32");
            }
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = t.get("shape").get(i).asLong();
            long start = t.get("data_offsets").get(0).asLong();
            long end = t.get("data_offsets").get(1).asLong();
            float[] data = new float[Math.toIntExact((end - start) / 4)];
            long numel = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            if (numel != data.length) throw new IllegalArgumentException(file + ": " + e.getKey() + " size mismatch");
            ByteBuffer slice = buf.slice(Math.toIntExact(8 + headerLen + start), data.length * 4)
                    .order(ByteOrder.LITTLE_ENDIAN);
            slice.asFloatBuffer().get(data);
            out.put(e.getKey(), new Tensor(shape, data));
        }
        return out;
    }

    static Map<String, Tensor> model(String name) throws IOException {
        return read(ROOT.resolve("models").resolve(name).resolve("model.safetensors"));
    }

    static Map<String, Tensor> golden(String caseName) throws IOException {
        return read(ROOT.resolve("cases").resolve(caseName).resolve("model.safetensors"));
    }
}

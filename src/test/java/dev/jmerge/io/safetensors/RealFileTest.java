package dev.jmerge.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.io.TensorInfo;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A file written by Python safetensors (mergekit-goldens base-fp32, copied into the test resources): our reader
 * agrees with a plain Jackson tree + ByteBuffer reading of it, and our writer reproduces it byte for byte.
 */
class RealFileTest {

    @TempDir
    Path dir;

    private static Path golden() throws URISyntaxException {
        return Path.of(RealFileTest.class.getResource("/mergekit-goldens/models/base-fp32/model.safetensors").toURI());
    }

    @Test
    void readsTheTinyLlamaWrittenByPython() throws Exception {
        Path file = golden();
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer raw = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(raw.getLong(0));
        JsonNode tree = JsonMapper.builder().build().readTree(new String(bytes, 8, n, "UTF-8"));

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.dataOffset()).isEqualTo(8 + n);
            assertThat(f.metadata()).isEqualTo(Map.of("format", "pt"));
            assertThat(f.tensors()).hasSize(tree.size() - 1);
            assertThat(f.tensors().keySet()).startsWith("model.embed_tokens.weight").endsWith("lm_head.weight");
            TensorInfo embed = f.tensors().get("model.embed_tokens.weight");
            assertThat(embed.dtype()).isEqualTo(DType.F32);
            assertThat(embed.shape().dims()).containsExactly(128, 32);
            assertThat(f.tensors().get("model.layers.2.mlp.down_proj.weight").shape().dims()).containsExactly(32, 96);
            assertThat(f.header().unusedBytes()).isZero();

            for (TensorInfo t : f.tensors().values()) {
                JsonNode e = tree.get(t.name());
                assertThat(t.dtype().safetensorsName()).isEqualTo(e.get("dtype").asString());
                long[] shape = new long[e.get("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = e.get("shape").get(i).asLong();
                assertThat(t.shape().dims()).isEqualTo(shape);
                assertThat(t.begin()).isEqualTo(8 + n + e.get("data_offsets").get(0).asLong());
                assertThat(t.end()).isEqualTo(8 + n + e.get("data_offsets").get(1).asLong());

                MemorySegment seg = f.segment(t);
                for (long i = 0; i < t.numel(); i++) {
                    float expected = raw.getFloat(Math.toIntExact(t.begin() + 4 * i));
                    assertThat(Float.floatToRawIntBits(seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)))
                            .isEqualTo(Float.floatToRawIntBits(expected));
                }
            }
            // Weights of a trained-like model, not zeros: the reading is looking at real data.
            double sumSq = 0;
            MemorySegment seg = f.segment(embed);
            for (long i = 0; i < embed.numel(); i++) {
                double v = seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                sumSq += v * v;
            }
            assertThat(sumSq).isGreaterThan(0);
        }
    }

    @Test
    void ourWriterReproducesThePythonFileByteForByte() throws Exception {
        Path out = dir.resolve("model.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(golden())) {
            List<TensorSpec> specs = new ArrayList<>();
            for (TensorInfo t : f.tensors().values()) specs.add(new TensorSpec(t.name(), t.dtype(), t.shape()));
            try (SafetensorsWriter w = SafetensorsWriter.create(out, specs)) {
                for (TensorInfo t : f.tensors().values()) w.tensorSegment(t.name()).copyFrom(f.segment(t));
                w.finish();
            }
        }
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(golden()));
    }

    @Test
    void modelWeightsOpensTheFolder() throws URISyntaxException, IOException {
        try (ModelWeights w = ModelWeights.open(golden().getParent())) {
            assertThat(w.names()).hasSize(30).contains("model.norm.weight");
            assertThat(w.info("lm_head.weight").shape().dims()).containsExactly(128, 32);
            byte[] bytes = Files.readAllBytes(golden());
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertThat(w.totalBytes()).isEqualTo(bytes.length - 8 - n);
            assertThat(w.fileOf("model.norm.weight").getFileName().toString()).isEqualTo("model.safetensors");
        }
    }
}

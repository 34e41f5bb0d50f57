package dev.jmerge.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import dev.jmerge.error.MergeException;
import dev.jmerge.io.safetensors.IndexWriter;
import dev.jmerge.io.safetensors.SafetensorsFormat;
import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.safetensors.StBytes;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model folder: single file or index + shards, opened as mergekit finds them, with hostile indexes refused. */
class ModelWeightsTest {

    @TempDir
    Path dir;

    /** Writes {@code count} F32 tensors "w0".. of 4 elements each, value k*10+i, split into shards of 32 bytes. */
    private ShardLayout writeModel(Path folder, int count, long maxShardBytes) throws IOException {
        Files.createDirectories(folder);
        List<TensorSpec> specs = new ArrayList<>();
        for (int k = 0; k < count; k++) specs.add(new TensorSpec("w" + k, DType.F32, Shape.of(2, 2)));
        ShardLayout layout = ShardLayout.of(specs, maxShardBytes);
        for (ShardLayout.Shard shard : layout.shards()) {
            try (SafetensorsWriter w = SafetensorsWriter.create(folder, shard)) {
                for (TensorSpec s : shard.tensors()) {
                    int k = Integer.parseInt(s.name().substring(1));
                    MemorySegment seg = w.tensorSegment(s.name());
                    for (int i = 0; i < 4; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, k * 10 + i);
                }
                w.finish();
            }
        }
        if (layout.needsIndex()) IndexWriter.write(folder, layout);
        return layout;
    }

    private static float first(ModelWeights w, String name) {
        return w.segment(name).getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
    }

    private Path index(String json) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(SafetensorsFormat.INDEX_FILE), json);
    }

    @Test
    void shardedFolderOpensShardsLazilyAndOnce() throws IOException {
        ShardLayout layout = writeModel(dir, 5, 32);
        assertThat(layout.shards()).hasSize(3);
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertThat(w.names()).containsExactly("w0", "w1", "w2", "w3", "w4");
            assertThat(w.fileOf("w4").getFileName().toString()).isEqualTo("model-00003-of-00003.safetensors");
            assertThat(w.openedShardCount()).isZero();
            assertThat(first(w, "w2")).isEqualTo(20f);
            assertThat(w.info("w3").shape().dims()).containsExactly(2, 2);
            assertThat(w.openedShardCount()).isEqualTo(1);
            assertThat(w.segment("w3").getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 3)).isEqualTo(33f);
            assertThat(w.openedShardCount()).isEqualTo(1);
            assertThat(w.totalBytes()).isEqualTo(5 * 16);
            assertThat(w.openedShardCount()).isEqualTo(3);
            assertThat(w.has("w4")).isTrue();
            assertThat(w.has("w5")).isFalse();
            assertThat(w.files()).hasSize(3);
        }
    }

    @Test
    void indexIsPrettyJsonLikePythonsIndentTwo() throws IOException {
        writeModel(dir, 3, 16);
        String text = Files.readString(dir.resolve(SafetensorsFormat.INDEX_FILE));
        assertThat(text).isEqualTo("""
                {
                  "metadata": {
                    "total_size": 48,
                    "mergekit_version": "0.1.4"
                  },
                  "weight_map": {
                    "w0": "model-00001-of-00003.safetensors",
                    "w1": "model-00002-of-00003.safetensors",
                    "w2": "model-00003-of-00003.safetensors"
                  }
                }""");
    }

    @Test
    void singleFileFolder() throws IOException {
        writeModel(dir, 3, 0);
        assertThat(dir.resolve(SafetensorsFormat.INDEX_FILE)).doesNotExist();
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertThat(w.names()).containsExactly("w0", "w1", "w2");
            assertThat(first(w, "w1")).isEqualTo(10f);
            assertThat(w.fileOf("w0")).isEqualTo(dir.toAbsolutePath().normalize().resolve("model.safetensors"));
        }
    }

    @Test
    void indexWinsOverASingleFileAsInMergekit() throws IOException {
        writeModel(dir, 4, 32);
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"),
                List.of(new TensorSpec("stale", DType.U8, Shape.of(1))))) {
            w.finish();
        }
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertThat(w.names()).containsExactly("w0", "w1", "w2", "w3");
        }
    }

    @Test
    void shardsReachedThroughSymlinksAreFine() throws IOException {
        // The Hugging Face cache keeps snapshot files as links into a blobs folder outside the snapshot.
        Path blobs = dir.resolve("blobs");
        Path snapshot = dir.resolve("snapshot");
        writeModel(blobs, 2, 16);
        Files.createDirectories(snapshot);
        for (String f : List.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                SafetensorsFormat.INDEX_FILE)) {
            Files.createSymbolicLink(snapshot.resolve(f), blobs.resolve(f));
        }
        try (ModelWeights w = ModelWeights.open(snapshot)) {
            assertThat(first(w, "w1")).isEqualTo(10f);
        }
    }

    private void assertIndexRefused(String json, String... fragments) throws IOException {
        Path idx = index(json);
        assertThatThrownBy(() -> ModelWeights.open(dir).close())
                .isInstanceOf(MergeException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).startsWith(idx.toAbsolutePath().normalize() + ": ")
                            .contains("; expected ").doesNotContain("\n");
                    for (String f : fragments) assertThat(e.getMessage()).contains(f);
                });
    }

    @Test
    void hostileIndexes() throws IOException {
        writeModel(dir.resolve("real"), 1, 0);
        Files.copy(dir.resolve("real/model.safetensors"), dir.resolve("shard.safetensors"));
        assertIndexRefused("{\"weight_map\":{\"w0\":\"missing.safetensors\"}}",
                "entry 'w0' -> 'missing.safetensors' names a missing file");
        assertIndexRefused("{\"weight_map\":{\"w0\":\"" + dir.resolve("shard.safetensors").toAbsolutePath() + "\"}}",
                "is not a relative path");
        assertIndexRefused("{\"weight_map\":{\"w0\":\"../x.safetensors\"}}", "leaves the model folder");
        assertIndexRefused("{\"weight_map\":{\"w0\":\"real/../../x.safetensors\"}}", "leaves the model folder");
        assertIndexRefused("{\"weight_map\":{\"w0\":\".\"}}", "leaves the model folder");
        assertIndexRefused("{\"weight_map\":{\"w0\":\"\"}}", "is not a relative path");
        assertIndexRefused("{\"weight_map\":{\"w0\":7}}", "weight_map entry 'w0' is not a file name");
        assertIndexRefused("{\"weight_map\":{\"w0\":\"shard.safetensors\",\"w0\":\"shard.safetensors\"}}",
                "names tensor 'w0' twice");
        assertIndexRefused("{\"metadata\":{}}", "index has no weight_map");
        assertIndexRefused("{\"weight_map\":{}}", "weight_map is empty");
        assertIndexRefused("{\"weight_map\":[]}", "weight_map is not an object");
        assertIndexRefused("[]", "index is not a JSON object");
        assertIndexRefused("{\"weight_map\":{\"w0\":", "not valid JSON");
        assertIndexRefused("{\"weight_map\":{\"w0\":\"shard.safetensors\"},\"weight_map\":{}}", "weight_map appears twice");
    }

    @Test
    void indexedTensorMissingFromItsShardIsNamed() throws IOException {
        writeModel(dir.resolve("real"), 1, 0);
        Files.copy(dir.resolve("real/model.safetensors"), dir.resolve("shard.safetensors"));
        Path idx = index("{\"weight_map\":{\"w0\":\"shard.safetensors\",\"ghost\":\"shard.safetensors\"}}");
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertThatThrownBy(() -> w.info("w0"))
                    .isInstanceOf(MergeException.class)
                    .hasMessage(idx.toAbsolutePath().normalize() + ": weight_map puts tensor 'ghost' in"
                            + " 'shard.safetensors' but that file has no such tensor;"
                            + " expected every indexed tensor in its shard");
            assertThat(w.openedShardCount()).isZero();
        }
    }

    @Test
    void brokenShardIsReportedWithItsOwnFileName() throws IOException {
        Files.createDirectories(dir);
        Path shard = Files.write(dir.resolve("s.safetensors"), StBytes.withLength(999, new byte[3]));
        index("{\"weight_map\":{\"w0\":\"s.safetensors\"}}");
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertThatThrownBy(() -> w.segment("w0")).isInstanceOf(MergeException.class)
                    .hasMessageStartingWith(shard.toAbsolutePath().normalize() + ": header length field is 999");
        }
    }

    @Test
    void unknownTensorIsAMergeExceptionNamingTheModel() throws IOException {
        writeModel(dir, 2, 0);
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertThatThrownBy(() -> w.info("nope")).isInstanceOf(MergeException.class)
                    .hasMessageContaining("model.safetensors: no tensor 'nope'; expected one of the model's 2 tensors");
        }
    }

    @Test
    void foldersWithoutWeightsAreConfigErrorsAndBrokenBinsMergeErrors() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.write(bin.resolve("pytorch_model.bin"), new byte[] {1});
        assertThatThrownBy(() -> ModelWeights.open(bin)).isInstanceOf(MergeException.class)
                .hasMessageStartingWith(bin.resolve("pytorch_model.bin") + ": not a zip-format PyTorch checkpoint");

        Path binIndex = Files.createDirectories(dir.resolve("binidx"));
        Files.writeString(binIndex.resolve("pytorch_model.bin.index.json"), "{}", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ModelWeights.open(binIndex)).isInstanceOf(MergeException.class)
                .hasMessageContaining("index has no weight_map");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        // A lone adapter is not a model: mergekit only looks for model.safetensors, and so do we.
        Files.write(empty.resolve("adapter_model.safetensors"), new byte[] {1});
        assertThatThrownBy(() -> ModelWeights.open(empty)).isInstanceOf(ConfigException.class)
                .hasMessage(empty + ": no model weights found; expected model.safetensors,"
                        + " model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json");

        assertThatThrownBy(() -> ModelWeights.open(dir.resolve("absent"))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir.resolve("absent") + ": not a directory");
    }

    @Test
    void closedWeightsRefuseToOpenMoreShards() throws IOException {
        writeModel(dir, 3, 16);
        ModelWeights w = ModelWeights.open(dir);
        MemorySegment seg = w.segment("w0");
        w.close();
        assertThatThrownBy(() -> seg.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> w.info("w1")).isInstanceOf(IllegalStateException.class);
    }
}

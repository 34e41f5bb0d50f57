package dev.jmerge.synth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The models in examples/ are exactly what our generator writes: regenerate and compare byte for byte. */
class ExampleModelsTest {

    @TempDir
    Path tmp;

    @Test
    void committedExamplesAreTheGeneratorsOutput() throws Exception {
        ExampleModels.write(tmp);
        Path committed = Path.of("examples/models");
        for (String name : ExampleModels.NAMES) {
            try (Stream<Path> files = Files.list(tmp.resolve(name))) {
                for (Path f : files.toList()) {
                    Path c = committed.resolve(name).resolve(f.getFileName());
                    assertThat(Files.mismatch(f, c)).as(c.toString()).isEqualTo(-1L);
                }
            }
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws Exception {
        ModelShape s = ModelShape.tiny(dev.jmerge.tensor.DType.F32);
        SyntheticModels.write(tmp.resolve("a"), s, 5, 1, 0.1, 0);
        SyntheticModels.write(tmp.resolve("b"), s, 5, 1, 0.1, 0);
        SyntheticModels.write(tmp.resolve("c"), s, 6, 1, 0.1, 0);
        assertThat(Files.mismatch(tmp.resolve("a/model.safetensors"), tmp.resolve("b/model.safetensors"))).isEqualTo(-1L);
        assertThat(Files.mismatch(tmp.resolve("a/model.safetensors"), tmp.resolve("c/model.safetensors"))).isNotEqualTo(-1L);
    }
}

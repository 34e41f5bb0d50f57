package dev.jmerge.synth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing all variants in one pass gives each the bytes of writing it alone. */
class WriteAllTest {

    @TempDir
    Path tmp;

    @Test
    void sameBytesAsOneAtATime() throws Exception {
        ModelShape shape = ModelShape.tiny(DType.BF16);
        List<String> names = List.of("base", "ft1", "ft2");
        List<Path> together = names.stream().map(n -> tmp.resolve("all").resolve(n)).toList();
        SyntheticModels.writeAll(together, shape, 11, 0.1, 20_000, 2);
        for (int v = 0; v < names.size(); v++) {
            Path alone = tmp.resolve("one").resolve(names.get(v));
            SyntheticModels.write(alone, shape, 11, v, 0.1, 20_000);
            List<Path> files;
            try (Stream<Path> s = Files.list(alone)) {
                files = s.sorted().toList();
            }
            assertThat(files).hasSizeGreaterThan(2); // shards, index, config
            for (Path f : files) {
                assertThat(Files.readAllBytes(together.get(v).resolve(f.getFileName()))).as(f.toString())
                        .isEqualTo(Files.readAllBytes(f));
            }
        }
    }
}

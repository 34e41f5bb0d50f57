package dev.jmerge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The 43 configs real mergekit ran for the golden outputs (copied from mergekit-goldens/cases) all load. */
class GoldenConfigsTest {

    static Stream<Path> configs() throws IOException, URISyntaxException {
        Path dir = Path.of(GoldenConfigsTest.class.getResource("/mergekit-goldens/cases").toURI());
        return Files.list(dir).map(p -> p.resolve("config.yml")).filter(Files::isRegularFile).sorted();
    }

    @Test
    void allFortyThreeArePresent() throws Exception {
        assertThat(configs().count()).isEqualTo(43);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void loads(Path file) throws IOException {
        String text = Files.readString(file);
        List<MergeConfig> loaded = ConfigLoader.load(file);

        assertThat(loaded).hasSize(1);
        MergeConfig c = loaded.getFirst();
        assertThat(c.diagnostics()).isEmpty();
        assertThat(c.yamlText()).isEqualTo(text);
        assertThat(c.mergeMethod()).isEqualTo(topLevel(text, "merge_method"));
        String dtype = text.contains("\ndtype:") ? topLevel(text, "dtype") : null;
        assertThat(c.dtype() == null ? null : c.dtype().torchName()).isEqualTo(dtype);
        assertThat(c.models() != null).isEqualTo(text.contains("\nmodels:"));
        assertThat(c.slices() != null).isEqualTo(text.contains("\nslices:"));
        int entries = (int) text.lines().filter(l -> l.strip().startsWith("- model:")).count();
        int parsed = c.models() != null ? c.models().size()
                : c.slices().stream().mapToInt(s -> s.sources().size()).sum();
        assertThat(parsed).isEqualTo(entries);
        String base = text.contains("\nbase_model:") ? topLevel(text, "base_model") : null;
        assertThat(c.baseModel() == null ? null : c.baseModel().toString()).isEqualTo(base);
    }

    private static String topLevel(String text, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + ": *(\\S+)$").matcher(text);
        if (!m.find()) throw new AssertionError("no " + key + " in " + text);
        return m.group(1);
    }
}

package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config that runs but not as written gets one warning per mistake, naming the key and the likely intended one;
 * the merge goes on (as in mergekit) and its summary counts them; --strict stops before anything is read; --dry-run
 * shows them in the plan.
 */
class DiagnosticsCliTest {

    @TempDir
    static Path models;

    @TempDir
    Path tmp;

    @BeforeAll
    static void generate() {
        ModelShape s = ModelShape.tiny(DType.F32);
        for (int v = 0; v < 3; v++) SyntheticModels.write(models.resolve("m" + v), s, 21, v, 0.1, 0);
    }

    private static final String TYPOS = """
            merge_method: ties
            base_model: M/m0
            models:
              - model: M/m1
                parameters: {weight: 0.5, desnity: 0.5}
              - model: M/m2
                weight: 0.3
                parameters: {weight: 0.5}
            parameters:
              lamda: 0.9
              rescale: [{filter: self_atn, value: 1}, {value: 0}]
            out_dtyp: bfloat16
            """;

    private static final List<String> EXPECTED = List.of(
            "line 7: unknown key 'weight' in a 'models' entry ignored; did you mean 'parameters: {weight: ...}'?",
            "line 12: unknown key 'out_dtyp' ignored; did you mean 'out_dtype'?",
            "line 5: parameter 'desnity' is not one merge_method 'ties' knows, so it is ignored; did you mean 'density'?",
            "line 10: parameter 'lamda' is not one merge_method 'ties' knows, so it is ignored; did you mean 'lambda'?",
            "line 11: filter 'self_atn' of parameter 'rescale' matches no tensor, so its value is never used; did you"
                    + " mean 'self_attn'?");

    private Path config(String yaml) throws Exception {
        return Files.writeString(tmp.resolve("config.yml"), yaml.replace("M/", models + "/"));
    }

    private static List<String> lines(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).toList();
    }

    @Test
    void eachMistakeWarnsOnceAndTheMergeGoesOnAndCountsThem() throws Exception {
        Path out = tmp.resolve("out");
        Cli r = Cli.run(Map.of(), config(TYPOS).toString(), out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> warnings = lines(r.err(), "warning: ");
        assertThat(warnings).hasSize(EXPECTED.size());
        for (int i = 0; i < EXPECTED.size(); i++) {
            assertThat(warnings.get(i)).startsWith("warning: " + tmp.resolve("config.yml")).endsWith(EXPECTED.get(i));
        }
        assertThat(r.errLines().getLast()).startsWith("merged ").endsWith(out + " (5 warnings)");
        assertThat(out.resolve("model.safetensors")).exists();
    }

    @Test
    void strictStopsBeforeAnythingIsReadOrWritten() throws Exception {
        Path out = tmp.resolve("out");
        Cli r = Cli.run(Map.of(), config(TYPOS).toString(), out.toString(), "--strict");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(lines(r.err(), "error: ")).hasSize(EXPECTED.size() + 1);
        assertThat(r.errLines().getLast()).isEqualTo("error: " + tmp.resolve("config.yml")
                + ": --strict: 5 configuration problems (above); nothing was read or written");
        assertThat(r.err()).doesNotContain("warning:");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("config.yml");
        }
    }

    @Test
    void theDryRunShowsThem() throws Exception {
        Cli r = Cli.run(Map.of(), config(TYPOS).toString(), "--dry-run");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(lines(r.out(), "warning: ")).hasSize(EXPECTED.size());
        assertThat(lines(r.err(), "warning: ")).hasSize(EXPECTED.size());
    }

    @Test
    void aCleanConfigPrintsNoWarningAndPassesStrict() throws Exception {
        Path out = tmp.resolve("out");
        Cli r = Cli.run(Map.of(), config("""
                merge_method: ties
                base_model: M/m0
                models:
                  - model: M/m1
                    parameters: {weight: 0.5, density: 0.5}
                  - model: M/m2
                    parameters: {weight: [{filter: self_attn, value: 0.3}, {value: 0.5}], density: 0.5}
                parameters: {int8_mask: true, lambda: 1.0}
                dtype: float32
                """).toString(), out.toString(), "--strict");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).doesNotContain("warning:").doesNotContain("error:");
        assertThat(r.errLines().getLast()).endsWith(out.toString());
    }
}

package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What a successful run says and records: summary line, progress width, seed, and the outputs it refuses. */
class OutputCliTest {

    @TempDir
    static Path models;

    @TempDir
    Path tmp;

    @BeforeAll
    static void generate() {
        ModelShape s = ModelShape.tiny(DType.BF16);
        SyntheticModels.write(models.resolve("base"), s, 9, 0, 0, 0);
        SyntheticModels.write(models.resolve("ft"), s, 9, 1, 0.1, 0);
    }

    Path dareConfig() throws Exception {
        return Files.writeString(tmp.resolve("dare.yml"), """
                merge_method: dare_ties
                base_model: %s
                models:
                  - model: %s
                    parameters: {weight: 1, density: 0.5}
                """.formatted(models.resolve("base"), models.resolve("ft")));
    }

    static Stream<Path> examples() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("examples"))) {
            // the MoE examples say "built", not "merged": MoeCliTest runs them
            return s.filter(p -> p.toString().endsWith(".yml") && !dev.jmerge.config.ConfigLoader.isMoe(p)).sorted()
                    .toList().stream();
        }
    }

    /** Every shipped example merges with nothing a user must act on, and ends with the summary line. */
    @ParameterizedTest
    @MethodSource("examples")
    void everyExampleRunsWithoutAWarning(Path example) {
        Path out = tmp.resolve("out");
        Cli r = Cli.run(Map.of(), example.toString(), out.toString(), "-j", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).doesNotContain("warning:", "WARNING");
        assertThat(r.errLines().getLast()).matches("merged \\d+ tensors \\(\\d+\\.\\d [KMG]iB\\) in \\d+\\.\\d s (→|->) "
                + Pattern.quote(out.toString()));
    }

    @Test
    void quietPrintsNothingOnSuccess() throws Exception {
        Cli r = Cli.run(Map.of(), dareConfig().toString(), tmp.resolve("out").toString(), "--quiet", "--random-seed", "3");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
    }

    @Test
    void theDrawnSeedIsInTheModelCardAndTheConfigAndReproducesTheMerge() throws Exception {
        Path out = tmp.resolve("drawn");
        Cli r = Cli.run(Map.of(), dareConfig().toString(), out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        Matcher m = Pattern.compile("random seed: (\\d+) \\(pass --random-seed \\1 to reproduce\\)").matcher(r.err());
        assertThat(m.find()).as(r.err()).isTrue();
        String seed = m.group(1);
        assertThat(Files.readString(out.resolve("README.md"))).contains("Random seed: " + seed
                + " (`--random-seed " + seed + "` reproduces this merge exactly).");
        String yml = Files.readString(out.resolve("mergekit_config.yml"));
        assertThat(yml).startsWith(Files.readString(tmp.resolve("dare.yml")))
                .endsWith("# random seed: " + seed + " (jmerge --random-seed " + seed + " reproduces this merge)\n");

        Path again = tmp.resolve("given");
        Cli g = Cli.run(Map.of(), dareConfig().toString(), again.toString(), "--random-seed", seed);
        assertThat(g.exitCode()).as(g.err()).isZero();
        assertThat(g.err()).doesNotContain("random seed:");
        assertThat(Files.readAllBytes(again.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(out.resolve("model.safetensors")));
        assertThat(Files.readString(again.resolve("mergekit_config.yml"))).isEqualTo(yml);
    }

    @Test
    void aMergeWithoutRandomnessRecordsNoSeed() throws Exception {
        Path cfg = Files.writeString(tmp.resolve("lin.yml"), "merge_method: linear\nmodels:\n  - model: "
                + models.resolve("ft") + "\n    parameters: {weight: 1}\n");
        Path out = tmp.resolve("lin");
        assertThat(Cli.run(Map.of(), cfg.toString(), out.toString()).exitCode()).isZero();
        assertThat(Files.readString(out.resolve("mergekit_config.yml"))).isEqualTo(Files.readString(cfg));
        assertThat(Files.readString(out.resolve("README.md"))).doesNotContain("seed");
    }

    @Test
    void theProgressLineFitsTheTerminalWidth() throws Exception {
        for (int columns : List.of(40, 60, 120)) {
            Path out = tmp.resolve("p" + columns);
            Cli r = Cli.run(Map.of("JMERGE_PROGRESS", "always", "COLUMNS", String.valueOf(columns)),
                    dareConfig().toString(), out.toString(), "--random-seed", "1");
            assertThat(r.exitCode()).as(r.err()).isZero();
            List<String> draws = Stream.of(r.err().split("\r")).filter(s -> s.endsWith("\033[K"))
                    .map(s -> s.substring(0, s.length() - 3)).toList();
            assertThat(draws).isNotEmpty().allSatisfy(d -> assertThat(d.length()).isLessThan(columns));
            assertThat(draws.getLast()).contains("tensors");
            if (columns >= 120) assertThat(draws.getLast()).startsWith("p120  [").contains("/s", "ETA");
            assertThat(r.errLines().getLast()).startsWith("merged ");
        }
    }

    @Test
    void overwriteNeverReplacesAnInput() throws Exception {
        Path ft = models.resolve("ft");
        byte[] before = Files.readAllBytes(ft.resolve("model.safetensors"));
        Path cfg = dareConfig();
        record Case(Path out, String says) {}
        Path inside = ft.resolve("merged");
        for (Case c : List.of(new Case(ft, "is the folder of input model"),
                new Case(models, "contains the folder of input model"),
                new Case(inside, "lies inside the folder of input model"))) {
            Cli r = Cli.run(Map.of(), cfg.toString(), c.out().toString(), "--overwrite", "--random-seed", "1");
            assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
            assertThat(r.errLines()).singleElement().asString().startsWith("error: " + c.out())
                    .contains(c.says(), "choose another output folder");
        }
        assertThat(Files.readAllBytes(ft.resolve("model.safetensors"))).isEqualTo(before);
        assertThat(inside).doesNotExist();
        // without --overwrite the refusal names the input too, instead of suggesting --overwrite
        Cli plain = Cli.run(Map.of(), cfg.toString(), ft.toString(), "--random-seed", "1");
        assertThat(plain.errLines()).singleElement().asString().contains("is the folder of input model")
                .doesNotContain("--overwrite");
    }
}

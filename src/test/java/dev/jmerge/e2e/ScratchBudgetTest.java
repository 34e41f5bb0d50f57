package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tie-order scratch in the memory estimate: a 131072 x 64 embedding needs 32 MiB of keys. Within the
 * budget it limits the workers; a budget it breaks cannot be met, so workers are sized without it and the
 * plan says so.
 */
class ScratchBudgetTest {

    @TempDir
    static Path models;

    @BeforeAll
    static void generate() {
        ModelShape s = new ModelShape(64, 128, 1, 2, 1, 131072, false, DType.BF16);
        for (int v = 0; v < 2; v++) SyntheticModels.write(models.resolve("m" + v), s, 3, v, 0.05, 0);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1G   | 4 of 4 threads | 128.0 MiB scratch | ",
            "200M | 3 of 4 threads | 32.3 MiB scratch | ",
            "170M | 3 of 4 threads | 32.0 MiB scratch | need 32 MiB of scratch (4 bytes per element of its largest tensor), more than the memory budget of 170 MiB leaves; running 3 workers",
            "150M | 1 of 4 threads | 32.0 MiB scratch | need 32 MiB of scratch"})
    void theEstimateCountsTheScratch(String budget, String workers, String scratch, String warning) throws Exception {
        Path cfg = models.resolve("ties-" + budget + ".yml");
        Files.writeString(cfg, """
                merge_method: ties
                base_model: %1$s/m0
                models:
                  - model: %1$s/m1
                    parameters: {weight: 1, density: 0.5}
                """.formatted(models));
        Cli r = Cli.run(cfg.toString(), "--dry-run", "-j", "4", "--memory", budget);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains(workers).contains(scratch + " for the tie order");
        if (warning == null) assertThat(r.out()).doesNotContain("warning: ");
        else assertThat(r.out()).contains("warning: the magnitude selections of this plan " + warning);
    }
}

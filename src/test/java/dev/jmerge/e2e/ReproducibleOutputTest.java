package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.cli.Main;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The merged bytes do not depend on how the merge was run: threads, memory budget (which changes how many
 * tensors are in flight) and shard count change nothing, stochastic methods included (fixed seed).
 */
class ReproducibleOutputTest {

    @TempDir
    static Path tmp;

    static Path models;

    @BeforeAll
    static void models() {
        models = tmp.resolve("models");
        // wide enough that tensors span several tiles, small enough for a unit test
        ModelShape shape = new ModelShape(256, 704, 2, 4, 2, 1000, false, DType.BF16);
        List<Path> dirs = new ArrayList<>();
        for (String n : List.of("base", "ft1", "ft2", "ft3")) dirs.add(models.resolve(n));
        SyntheticModels.writeAll(dirs, shape, 99, 0.05, 1_000_000, 2);
    }

    static String config(String method) {
        String m = models.toAbsolutePath().toString();
        return switch (method) {
            case "linear" -> """
                    merge_method: linear
                    models:
                      - {model: %1$s/ft1, parameters: {weight: 0.5}}
                      - {model: %1$s/ft2, parameters: {weight: 0.3}}
                      - {model: %1$s/ft3, parameters: {weight: 0.2}}
                    dtype: bfloat16
                    """.formatted(m);
            default -> """
                    merge_method: %2$s
                    base_model: %1$s/base
                    models:
                      - {model: %1$s/ft1, parameters: {weight: 0.5, density: 0.4}}
                      - {model: %1$s/ft2, parameters: {weight: 0.3, density: 0.6}}
                      - {model: %1$s/ft3, parameters: {weight: 0.2, density: 0.5}}
                    dtype: bfloat16
                    """.formatted(m, method);
        };
    }

    Map<String, byte[]> merge(String method, String tag, String... extra) throws IOException {
        Path cfg = tmp.resolve(method + ".yml");
        Files.writeString(cfg, config(method));
        Path out = tmp.resolve("out-" + method + "-" + tag);
        List<String> args = new ArrayList<>(List.of(cfg.toString(), out.toString(), "--random-seed", "7", "--quiet",
                "--no-copy-tokenizer", "--no-write-model-card", "--out-shard-size", "1M"));
        args.addAll(List.of(extra));
        assertThat(Main.run(args.toArray(String[]::new))).isZero();
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(out)) {
            for (Path p : s.toList()) files.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return files;
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "ties", "breadcrumbs", "dare_ties", "della"})
    void bytesDoNotDependOnThreadsOrMemory(String method) throws IOException {
        Map<String, byte[]> one = merge(method, "j1", "-j", "1", "--memory", "1G");
        Map<String, byte[]> two = merge(method, "j2", "-j", "2", "--memory", "1G");
        Map<String, byte[]> four = merge(method, "j4", "-j", "4", "--memory", "2G");
        Map<String, byte[]> tight = merge(method, "tight", "-j", "4", "--memory", "100M");
        assertThat(one.keySet()).contains("model.safetensors.index.json");
        assertThat(one.keySet().stream().filter(f -> f.endsWith(".safetensors")).count()).isGreaterThan(2);
        for (Map<String, byte[]> other : List.of(two, four, tight)) {
            assertThat(other.keySet()).isEqualTo(one.keySet());
            for (String f : one.keySet()) assertThat(other.get(f)).as(f).isEqualTo(one.get(f));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dare_ties"})
    void theSeedIsWhatChangesAStochasticResult(String method) throws IOException {
        Map<String, byte[]> a = merge(method, "s7", "-j", "2");
        Path cfg = tmp.resolve(method + ".yml");
        Path out = tmp.resolve("out-" + method + "-s8");
        assertThat(Main.run(cfg.toString(), out.toString(), "--random-seed", "8", "--quiet", "--no-copy-tokenizer",
                "--no-write-model-card", "-j", "2", "--out-shard-size", "1M")).isZero();
        String shard = a.keySet().stream().filter(f -> f.endsWith(".safetensors")).findFirst().orElseThrow();
        assertThat(Files.readAllBytes(out.resolve(shard))).isNotEqualTo(a.get(shard));
    }

    @ParameterizedTest
    @ValueSource(strings = {"100M", "1G"})
    void dryRunReportsTheExecutorsEstimate(String budget) throws IOException {
        Path cfg = tmp.resolve("linear-dry.yml");
        Files.writeString(cfg, config("linear"));
        var out = new ByteArrayOutputStream();
        var old = System.out;
        int rc;
        try {
            System.setOut(new java.io.PrintStream(out, true));
            rc = Main.run(cfg.toString(), "--dry-run", "-j", "4", "--memory", budget);
        } finally {
            System.setOut(old);
        }
        assertThat(rc).isZero();
        // 128 MiB baseline; 3 inputs: (2*3+6) tiles of 65536 floats = 3 MiB per worker, plus 3 x ~4.4 MiB
        // of input mapping windows: about 16 MiB per worker, so 100M holds one worker (with a warning) and 1G four
        String expected = budget.equals("1G") ? "4 of 4 threads" : "1 of 4 threads";
        assertThat(out.toString()).contains("peak memory estimate:").contains(expected);
    }

    @Test
    void dryRunCountsTheTieOrderScratchForMagnitudeSelectionsOnly() throws IOException {
        for (String method : List.of("ties", "linear")) {
            Path cfg = tmp.resolve(method + "-scratch.yml");
            Files.writeString(cfg, config(method));
            Cli r = Cli.run(cfg.toString(), "--dry-run", "-j", "2", "--memory", "1G");
            assertThat(r.exitCode()).as(r.err()).isZero();
            if (method.equals("ties")) assertThat(r.out()).contains("scratch for the tie order");
            else assertThat(r.out()).doesNotContain("scratch");
        }
    }
}

package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.cli.Main;
import dev.jmerge.io.safetensors.SafetensorsFile;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CLI in a JVM without the incubator module falls back to the scalar kernels, says so once, and merges
 * to the same bytes as the vector kernels in this JVM. Conversions and elementwise kernels are bit-identical
 * by contract; float64 reductions (norms and dots, used by slerp and model_stock) may add in another order,
 * so those methods are compared within one bf16 rounding step instead.
 */
class ScalarFallbackTest {

    @TempDir
    static Path tmp;

    static Path models;

    @BeforeAll
    static void models() {
        models = tmp.resolve("models");
        ModelShape shape = new ModelShape(128, 352, 1, 4, 2, 500, false, DType.BF16);
        List<Path> dirs = new ArrayList<>();
        for (String n : List.of("base", "ft1", "ft2", "ft3")) dirs.add(models.resolve(n));
        SyntheticModels.writeAll(dirs, shape, 5, 0.05, 0, 2);
    }

    static String config(String method) {
        String m = models.toAbsolutePath().toString();
        return switch (method) {
            case "linear" -> """
                    merge_method: linear
                    models:
                      - {model: %1$s/ft1, parameters: {weight: 0.6}}
                      - {model: %1$s/ft2, parameters: {weight: 0.4}}
                    dtype: bfloat16
                    """.formatted(m);
            case "slerp" -> """
                    merge_method: slerp
                    base_model: %1$s/base
                    models:
                      - {model: %1$s/base}
                      - {model: %1$s/ft1}
                    parameters: {t: 0.3}
                    dtype: bfloat16
                    """.formatted(m);
            default -> """
                    merge_method: %2$s
                    base_model: %1$s/base
                    models:
                      - {model: %1$s/ft1, parameters: {weight: 0.6, density: 0.5}}
                      - {model: %1$s/ft2, parameters: {weight: 0.4, density: 0.5}}
                    dtype: bfloat16
                    """.formatted(m, method).replace(method.equals("model_stock") ? ", parameters: {weight: 0.6, density: 0.5}" : "@@", "")
                    .replace(method.equals("model_stock") ? ", parameters: {weight: 0.4, density: 0.5}" : "@@", "");
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "ties", "slerp", "model_stock"})
    void scalarChildMatchesVectorParent(String method) throws Exception {
        assertThat(KernelsProvider.get().name()).startsWith("panama"); // the parent really uses the vector kernels
        Path cfg = tmp.resolve(method + ".yml");
        Files.writeString(cfg, config(method));
        Path vec = tmp.resolve("vec-" + method), sca = tmp.resolve("sca-" + method);
        String[] flags = {"--random-seed", "1", "--no-copy-tokenizer", "--no-write-model-card", "--quiet"};
        List<String> args = new ArrayList<>(List.of(cfg.toString(), vec.toString()));
        args.addAll(List.of(flags));
        assertThat(Main.run(args.toArray(String[]::new))).isZero();

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), cfg.toString(), sca.toString()));
        cmd.addAll(List.of(flags));
        Path log = tmp.resolve("child-" + method + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String output = Files.readString(log);
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("note: vector kernels off");

        Path shard = Path.of("model.safetensors");
        byte[] a = Files.readAllBytes(vec.resolve(shard)), b = Files.readAllBytes(sca.resolve(shard));
        if (method.equals("linear") || method.equals("ties")) {
            assertThat(b).isEqualTo(a);
            return;
        }
        try (SafetensorsFile fa = SafetensorsFile.open(vec.resolve(shard));
             SafetensorsFile fb = SafetensorsFile.open(sca.resolve(shard))) {
            assertThat(fb.tensors().keySet()).isEqualTo(fa.tensors().keySet());
            long differing = 0, total = 0;
            for (TensorInfo t : fa.tensors().values()) {
                var sa = fa.segment(t);
                var sb = fb.segment(fb.tensors().get(t.name()));
                for (long i = 0; i < t.numel(); i++, total++) {
                    short x = sa.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i);
                    short y = sb.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i);
                    if (x == y) continue;
                    differing++;
                    float fx = ScalarKernels.bf16ToFloat(x), fy = ScalarKernels.bf16ToFloat(y);
                    assertThat(Math.abs(fx - fy)).as("%s[%d]", t.name(), i)
                            .isLessThanOrEqualTo(Math.ulp(Math.max(Math.abs(fx), Math.abs(fy))) * 65536f);
                }
            }
            assertThat(differing).as("elements differing by a rounding step").isLessThan(total / 100 + 1);
        }
    }
}

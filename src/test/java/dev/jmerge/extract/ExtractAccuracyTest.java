package dev.jmerge.extract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.e2e.Cli;
import dev.jmerge.linalg.Jacobi;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The numbers of an extracted adapter against references computed here in float64: the optimal rank-r error
 * of each projection's change (Eckart–Young, from a Jacobi eigen-decomposition of ΔᵀΔ), Δ itself at full
 * rank, and the split of the singular values between A and B.
 */
class ExtractAccuracyTest {

    @TempDir static Path tmp;
    static Path base, ft;
    static Map<String, Adapters.Matrix> baseT, ftT;

    @BeforeAll
    static void models() {
        Path[] m = Fixtures.llama(tmp.resolve("wide"), Fixtures.WIDE, 11);
        base = m[0];
        ft = m[1];
        baseT = Adapters.model(base);
        ftT = Adapters.model(ft);
    }

    static Cli extract(Path base, Path ft, Path out, String... extra) {
        String[] args = new String[7 + extra.length];
        System.arraycopy(new String[] {"extract-lora", "--model", ft.toString(), "--base-model", base.toString(),
                "--out-path", out.toString()}, 0, args, 0, 7);
        System.arraycopy(extra, 0, args, 7, extra.length);
        Cli r = Cli.run(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        return r;
    }

    /** Every decomposed module's ‖Δ − B·A‖_F against the optimal rank-r error, within 1 % of ‖Δ‖_F. */
    private static int checkNearOptimal(Path out, int rank) {
        Map<String, Adapters.Matrix> ad = Adapters.adapter(out);
        int checked = 0;
        for (String name : ad.keySet()) {
            if (!name.endsWith(".lora_A.weight")) continue;
            String module = name.substring("base_model.model.".length(), name.length() - ".lora_A.weight".length());
            Adapters.Matrix a = ad.get(name), b = ad.get(name.replace("lora_A", "lora_B"));
            Adapters.Matrix w = ftT.get(module + ".weight");
            double[] delta = Adapters.minus(w, baseT.get(module + ".weight"));
            double[] sv = Jacobi.singularValues(delta, w.rows(), w.cols());
            int r = Math.min(rank, Math.min(w.rows(), w.cols()));
            assertThat(a.rows()).as(module).isEqualTo(r);
            double opt = Jacobi.optimalError(sv, r);
            double err = Adapters.distance(delta, Adapters.product(b, a));
            double norm = Adapters.norm(delta);
            assertThat(err - opt).as("%s: error %s, optimum %s, |delta| %s", module, err, opt, norm)
                    .isLessThanOrEqualTo(0.01 * norm);
            assertThat(err).as(module).isGreaterThanOrEqualTo(opt * (1 - 1e-6)); // no better than the optimum
            checked++;
        }
        return checked;
    }

    @Test
    void randomizedFactorsAreWithinOnePercentOfTheOptimalRankRError() {
        Path out = tmp.resolve("rand");
        Cli dry = Cli.run("extract-lora", "--model", ft.toString(), "--base-model", base.toString(), "--out-path",
                out.toString(), "--max-rank", "8", "--dry-run");
        assertThat(dry.out()).contains("model.layers.0.self_attn.q_proj [96, 96] bfloat16  Linear, rank 8 (randomized SVD, sketch 32)");
        extract(base, ft, out, "--max-rank", "8");
        assertThat(checkNearOptimal(out, 8)).isEqualTo(14); // 7 projections in each of 2 layers
    }

    @Test
    void exactFactorsAreOptimalToo() {
        Path out = tmp.resolve("exact");
        extract(base, ft, out, "--max-rank", "8", "--exact-svd");
        assertThat(checkNearOptimal(out, 8)).isEqualTo(14);
    }

    @Test
    void atFullRankTheDeltaIsReproducedWithinBf16Rounding() {
        Path out = tmp.resolve("full");
        extract(base, ft, out, "--max-rank", "1000");
        Map<String, Adapters.Matrix> ad = Adapters.adapter(out);
        int checked = 0;
        double u = 0x1p-8; // bf16 unit roundoff: A and B are each rounded once
        for (String name : ad.keySet()) {
            if (!name.endsWith(".lora_A.weight")) continue;
            String module = name.substring("base_model.model.".length(), name.length() - ".lora_A.weight".length());
            Adapters.Matrix a = ad.get(name), b = ad.get(name.replace("lora_A", "lora_B"));
            Adapters.Matrix w = ftT.get(module + ".weight");
            assertThat(a.rows()).isEqualTo(Math.min(w.rows(), w.cols()));
            double[] delta = Adapters.minus(w, baseT.get(module + ".weight"));
            double[] ba = Adapters.product(b, a);
            double max = 0;
            for (double d : delta) max = Math.max(max, Math.abs(d));
            int r = a.rows();
            for (int i = 0; i < w.rows(); i++) {
                for (int j = 0; j < w.cols(); j++) {
                    double abs = 0; // (|B|·|A|)_ij bounds what rounding A and B can change
                    for (int k = 0; k < r; k++) abs += Math.abs(b.get(i, k) * a.get(k, j));
                    assertThat(Math.abs(delta[i * w.cols() + j] - ba[i * w.cols() + j])).as("%s[%d,%d]", module, i, j)
                            .isLessThanOrEqualTo(2.01 * u * abs + 1e-5 * max);
                }
            }
            checked++;
        }
        assertThat(checked).isEqualTo(14);
    }

    @Test
    void inFloat32TheFullRankDeltaIsExactToSinglePrecision() {
        Path[] m = Fixtures.llama(tmp.resolve("f32"), ModelShape.tiny(DType.F32), 12);
        Path out = tmp.resolve("f32-out");
        extract(m[0], m[1], out, "--max-rank", "1000");
        Map<String, Adapters.Matrix> ad = Adapters.adapter(out), b0 = Adapters.model(m[0]), f0 = Adapters.model(m[1]);
        String q = "model.layers.1.mlp.down_proj";
        double[] delta = Adapters.minus(f0.get(q + ".weight"), b0.get(q + ".weight"));
        double[] ba = Adapters.product(ad.get("base_model.model." + q + ".lora_B.weight"),
                ad.get("base_model.model." + q + ".lora_A.weight"));
        assertThat(Adapters.distance(delta, ba)).isLessThan(1e-5 * Adapters.norm(delta));
    }

    @Test
    void distributeScaleGivesRowsOfAAndColumnsOfBTheSameNorm() {
        Path out = tmp.resolve("dist");
        extract(base, ft, out, "--max-rank", "8");
        Path plain = tmp.resolve("nodist");
        extract(base, ft, plain, "--max-rank", "8", "--no-distribute-scale");
        Map<String, Adapters.Matrix> ad = Adapters.adapter(out), nd = Adapters.adapter(plain);
        int modules = 0;
        for (String name : ad.keySet()) {
            if (!name.endsWith(".lora_A.weight")) continue;
            Adapters.Matrix a = ad.get(name), b = ad.get(name.replace("lora_A", "lora_B"));
            Adapters.Matrix a2 = nd.get(name), b2 = nd.get(name.replace("lora_A", "lora_B"));
            for (int i = 0; i < a.rows(); i++) {
                double rowA = rowNorm(a, i), colB = columnNorm(b, i);
                assertThat(rowA).as("%s row %d", name, i).isCloseTo(colB, org.assertj.core.data.Percentage.withPercentage(1));
                // without: B = U (unit columns) and A = S·Vᵀ, whose row norms are the singular values (√s_i² = s_i)
                assertThat(columnNorm(b2, i)).as("%s column %d", name, i).isCloseTo(1, org.assertj.core.data.Offset.offset(0.01));
                assertThat(rowNorm(a2, i)).isCloseTo(rowA * colB, org.assertj.core.data.Percentage.withPercentage(1));
            }
            modules++;
        }
        assertThat(modules).isEqualTo(14);
    }

    private static double rowNorm(Adapters.Matrix m, int i) {
        double s = 0;
        for (int j = 0; j < m.cols(); j++) s += m.get(i, j) * m.get(i, j);
        return Math.sqrt(s);
    }

    private static double columnNorm(Adapters.Matrix m, int j) {
        double s = 0;
        for (int i = 0; i < m.rows(); i++) s += m.get(i, j) * m.get(i, j);
        return Math.sqrt(s);
    }

    @Test
    void theSameInputsGiveTheSameBytesWhateverTheThreadCount() throws Exception {
        Path one = tmp.resolve("j1"), two = tmp.resolve("j2");
        extract(base, ft, one, "--max-rank", "8", "-j", "1");
        extract(base, ft, two, "--max-rank", "8", "-j", "3");
        assertThat(Files.readAllBytes(two.resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(one.resolve("adapter_model.safetensors")));
        assertThat(Files.readString(two.resolve("adapter_config.json"))).isEqualTo(Files.readString(one.resolve("adapter_config.json")));
    }
}

package dev.jmerge.extract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jmerge.e2e.Cli;
import dev.jmerge.linalg.Jacobi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code extract-lora --report}: each decomposed module's ‖Δ‖, energy kept and relative error against the
 * singular values of Δ computed here in float64 (Jacobi), the relative error also against the factors written,
 * and every other module listed with what became of it.
 */
class ExtractReportTest {

    @TempDir static Path tmp;
    static Path base, ft;
    static Map<String, Adapters.Matrix> baseT, ftT;

    @BeforeAll
    static void models() {
        Path[] m = Fixtures.llama(tmp.resolve("wide"), Fixtures.WIDE, 23);
        base = m[0];
        ft = m[1];
        baseT = Adapters.model(base);
        ftT = Adapters.model(ft);
    }

    @Test
    void theReportHoldsEachModulesRankNormErrorAndEnergy() throws Exception {
        Path out = tmp.resolve("adapter");
        Cli r = Cli.run("extract-lora", "--model", ft.toString(), "--base-model", base.toString(), "--out-path",
                out.toString(), "--max-rank", "6", "--exact-svd", "--report");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("report: " + out.resolve("report.html"));
        assertThat(out.resolve("report.html")).exists();
        JsonNode report = JsonMapper.shared().readTree(Files.readString(out.resolve("report.json")));
        assertThat(report.get("command").asString()).isEqualTo("extract-lora");
        assertThat(report.get("model").asString()).isEqualTo(ft.toString());
        assertThat(report.get("base").asString()).isEqualTo(base.toString());
        assertThat(report.get("max_rank").asInt()).isEqualTo(6);
        Map<String, Adapters.Matrix> adapter = Adapters.adapter(out);
        Set<String> actions = new HashSet<>();
        int decomposed = 0;
        for (JsonNode m : report.get("modules")) {
            String name = m.get("name").asString();
            actions.add(m.get("action").asString());
            if (name.startsWith("model.layers.")) {
                assertThat(m.get("layer").asInt()).isEqualTo(Integer.parseInt(name.split("\\.")[2]));
            } else {
                assertThat(m.get("layer").isNull()).as(name).isTrue();
            }
            if (!m.get("action").asString().equals("decomposed")) {
                assertThat(m.has("rank") || m.has("delta_norm")).as(name).isFalse();
                continue;
            }
            decomposed++;
            Adapters.Matrix w = ftT.get(name + ".weight");
            double[] delta = Adapters.minus(w, baseT.get(name + ".weight"));
            double[] sv = Jacobi.singularValues(delta, w.rows(), w.cols());
            int rank = m.get("rank").asInt();
            assertThat(rank).isEqualTo(Math.min(6, Math.min(w.rows(), w.cols())));
            double all = 0, kept = 0;
            for (int i = 0; i < sv.length; i++) {
                all += sv[i] * sv[i];
                if (i < rank) kept += sv[i] * sv[i];
            }
            double norm = Adapters.norm(delta);
            assertThat(m.get("delta_norm").asDouble()).as(name).isCloseTo(norm, within(1e-6 * norm));
            assertThat(m.get("energy_kept").asDouble()).as(name).isCloseTo(kept / all, within(1e-5));
            assertThat(m.get("relative_error").asDouble()).as(name).isCloseTo(Math.sqrt(1 - kept / all), within(1e-5));
            // the factors as written (rounded to bf16) are as far from Δ, within their rounding
            Adapters.Matrix a = adapter.get("base_model.model." + name + ".lora_A.weight");
            Adapters.Matrix b = adapter.get("base_model.model." + name + ".lora_B.weight");
            double measured = Adapters.distance(delta, Adapters.product(b, a)) / norm;
            assertThat(m.get("relative_error").asDouble()).as(name).isCloseTo(measured, within(0.01));
        }
        assertThat(decomposed).isEqualTo(14);
        assertThat(actions).containsExactlyInAnyOrder("decomposed", "full_rank");
        assertThat(Files.readString(out.resolve("report.html"))).contains("<svg class=\"chart\"", "Energy kept");
    }

    @Test
    void aDryRunCannotReport() {
        Cli r = Cli.run("extract-lora", "--model", ft.toString(), "--base-model", base.toString(), "--out-path",
                tmp.resolve("dry").toString(), "--dry-run", "--report");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--report needs the factorisation");
    }
}

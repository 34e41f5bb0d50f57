package dev.jmerge.extract;

import static dev.jmerge.extract.ExtractAccuracyTest.extract;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.e2e.Cli;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An extracted adapter read back through jmerge's own {@code model+lora} path: the merged model is the base
 * plus B·A (float64 reference, rounded once to the stored dtype as the LoRA path rounds), the modules saved
 * whole are the fine-tune's, and bias changes come back through {@code lora_B.bias}.
 */
class ExtractRoundTripTest {

    private static final String P = "base_model.model.";

    @TempDir Path tmp;

    private Path merge(Path base, Path adapter, String name) throws IOException {
        Path config = tmp.resolve(name + ".yml");
        Files.writeString(config, "merge_method: passthrough\ndtype: float32\nmodels:\n  - model: " + base + "+"
                + adapter + "\n");
        Path out = tmp.resolve(name);
        Cli r = Cli.run(config.toString(), out.toString(), "--no-copy-tokenizer", "--quiet");
        assertThat(r.exitCode()).as(r.err()).isZero();
        return out;
    }

    private static float bf16(double v) {
        return ScalarKernels.bf16ToFloat(ScalarKernels.floatToBf16((float) v));
    }

    /** W + B·A per element, accumulated in float64 over the rank as the LoRA path does, rounded once to bf16. */
    private static double[] plusLowRank(Adapters.Matrix w, Adapters.Matrix b, Adapters.Matrix a) {
        double[] out = new double[w.v().length];
        for (int i = 0; i < w.rows(); i++) {
            for (int j = 0; j < w.cols(); j++) {
                double acc = 0;
                for (int k = 0; k < a.rows(); k++) acc += b.get(i, k) * a.get(k, j);
                out[i * w.cols() + j] = bf16((float) (w.get(i, j) + acc));
            }
        }
        return out;
    }

    @Test
    void baseWithTheAdapterIsBasePlusBA() throws IOException {
        Path[] m = Fixtures.llama(tmp.resolve("m"), Fixtures.WIDE, 31);
        Path adapter = tmp.resolve("adapter");
        extract(m[0], m[1], adapter, "--max-rank", "8");
        Path merged = merge(m[0], adapter, "merged");
        Map<String, Adapters.Matrix> out = Adapters.model(merged), base = Adapters.model(m[0]),
                ft = Adapters.model(m[1]), ad = Adapters.adapter(adapter);
        int low = 0, whole = 0;
        for (String name : base.keySet()) {
            String module = name.substring(0, name.length() - ".weight".length());
            Adapters.Matrix a = ad.get(P + module + ".lora_A.weight");
            if (a != null) {
                double[] want = plusLowRank(base.get(name), ad.get(P + module + ".lora_B.weight"), a);
                assertThat(out.get(name).v()).as(name).containsExactly(want);
                low++;
            } else {
                assertThat(out.get(name).v()).as(name).containsExactly(ft.get(name).v());
                whole++;
            }
        }
        assertThat(low).isEqualTo(14);
        assertThat(whole).isEqualTo(7); // embed_tokens, lm_head, 2×2 layer norms, norm
    }

    @Test
    void biasChangesTravelAsLoraBBiasAndComeBack() throws IOException {
        Path[] m = Fixtures.qwen2(tmp, 41);
        Path adapter = tmp.resolve("qadapter");
        extract(m[0], m[1], adapter, "--max-rank", "4");
        Map<String, Adapters.Matrix> ad = Adapters.adapter(adapter), base = Adapters.model(m[0]), ft = Adapters.model(m[1]);
        // tied: no lm_head tensor in the fine-tune, so none in the adapter either
        assertThat(ad.keySet()).noneMatch(n -> n.contains("lm_head"));
        String bias = "model.layers.1.self_attn.k_proj.bias";
        Adapters.Matrix delta = ad.get(P + "model.layers.1.self_attn.k_proj.lora_B.bias");
        assertThat(delta.shape()).containsExactly(16);
        double[] want = Adapters.minus(ft.get(bias), base.get(bias));
        for (int i = 0; i < want.length; i++) assertThat(delta.v()[i]).isEqualTo(bf16(want[i]));

        Map<String, Adapters.Matrix> out = Adapters.model(merge(m[0], adapter, "qmerged"));
        for (int l = 0; l < 2; l++) {
            for (String p : new String[] {"q_proj", "k_proj", "v_proj"}) {
                String n = "model.layers." + l + ".self_attn." + p + ".bias";
                Adapters.Matrix d = ad.get(P + "model.layers." + l + ".self_attn." + p + ".lora_B.bias");
                double[] b = base.get(n).v();
                double[] got = out.get(n).v();
                for (int i = 0; i < b.length; i++) {
                    assertThat(got[i]).as(n).isEqualTo(bf16((float) (b[i] + d.v()[i])));
                    assertThat(got[i]).as(n).isCloseTo(ft.get(n).v()[i], org.assertj.core.data.Offset.offset(
                            Math.abs(ft.get(n).v()[i]) * 0x1p-7 + 1e-6)); // the fine-tune's bias, to bf16 rounding
                }
            }
        }
        assertThat(out).doesNotContainKey("lm_head.weight");
    }

    @Test
    void aModelWithAnAdapterCanBeTheFineTune() throws IOException {
        Path[] m = Fixtures.llama(tmp.resolve("m"), ModelShape.tiny(DType.F32), 51);
        Path adapter = tmp.resolve("a1");
        extract(m[0], m[1], adapter, "--max-rank", "4");
        // base+adapter differs from base by exactly rank 4 per projection: extracting it again loses nothing
        Path again = tmp.resolve("a2");
        extract(m[0], Path.of(m[0] + "+" + adapter), again, "--max-rank", "4");
        Map<String, Adapters.Matrix> first = Adapters.adapter(adapter), second = Adapters.adapter(again);
        String q = P + "model.layers.0.mlp.gate_proj";
        double[] ba1 = Adapters.product(first.get(q + ".lora_B.weight"), first.get(q + ".lora_A.weight"));
        double[] ba2 = Adapters.product(second.get(q + ".lora_B.weight"), second.get(q + ".lora_A.weight"));
        assertThat(Adapters.distance(ba1, ba2)).isLessThan(1e-5 * Adapters.norm(ba1));
    }
}

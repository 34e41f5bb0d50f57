package dev.jmerge.moe;

import static dev.jmerge.moe.MoeArchitecturesTest.bf16;
import static dev.jmerge.moe.MoeArchitecturesTest.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.jmerge.e2e.ModelFiles;
import dev.jmerge.methods.random.CounterRng;
import dev.jmerge.synth.Family;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-expert noise_scale and residual_scale: noise added first and rounded to the input's dtype, then the scale,
 * rounded again (mergekit's order, in the tensor's dtype); drawn from the seed and keyed by the per-expert tensor
 * name, so the bytes do not depend on the thread count nor on the output layout.
 */
class MoeNoiseTest {

    @TempDir
    static Path dir;
    static Path llama;
    private static final int H = MoeFixtures.SHAPE.hidden(), I = MoeFixtures.SHAPE.intermediate();

    @BeforeAll
    static void models() {
        llama = MoeFixtures.family(dir, "llama", Family.LLAMA, MoeFixtures.SHAPE);
    }

    private static Path config(String name, String architecture) {
        return MoeFixtures.yaml(dir, name, """
                base_model: %1$s/base
                gate_mode: random
                architecture: %2$s
                experts:
                  - source_model: %1$s/ft1
                    noise_scale: 0.05
                    residual_scale: 0.3
                  - source_model: %1$s/ft2
                    residual_scale: 1.7
                """.formatted(llama, architecture));
    }

    @Test
    void noiseThenResidualScaleEachRoundedToTheInputsDtype() {
        Path out = dir.resolve("noisy");
        MoeFixtures.build(config("noisy.yml", "mixtral"), out, 11, 1, false);
        Map<String, ModelFiles.Tensor> t = MoeFixtures.read(out);
        Map<String, ModelFiles.Tensor> ft1 = MoeFixtures.read(llama.resolve("ft1")), ft2 = MoeFixtures.read(llama.resolve("ft2"));
        double sumSq = 0;
        int n = 0;
        for (int l = 0; l < 2; l++) {
            String p = "model.layers." + l + ".mlp.";
            float[] gateUp = t.get(p + "experts.gate_up_proj").values(), down = t.get(p + "experts.down_proj").values();
            float[] gate = ft1.get(p + "gate_proj.weight").values();
            float[] noisyGate = slice(gateUp, 0, I * H);
            long gateKey = PieceWriter.noiseKey(11, p + "experts.0.gate_proj.weight");
            for (int i = 0; i < gate.length; i++) {
                assertThat(noisyGate[i]).isEqualTo(bf16((float) (gate[i] + 0.05 * CounterRng.normal(gateKey, i))));
                sumSq += Math.pow(noisyGate[i] - gate[i], 2);
                n++;
            }
            float[] d1 = ft1.get(p + "down_proj.weight").values();
            long downKey = PieceWriter.noiseKey(11, p + "experts.0.down_proj.weight");
            for (int i = 0; i < d1.length; i++) {
                float noisy = bf16((float) (d1[i] + 0.05 * CounterRng.normal(downKey, i)));
                assertThat(down[i]).isEqualTo(bf16(noisy * 0.3f));
            }
            // expert 1: no noise, its down projection scaled; its gate and up rows untouched
            float[] d2 = ft2.get(p + "down_proj.weight").values();
            for (int i = 0; i < d2.length; i++) assertThat(down[I * H + i]).isEqualTo(bf16(d2[i] * 1.7f));
            assertThat(slice(gateUp, 2 * I * H, I * H)).containsExactly(ft2.get(p + "gate_proj.weight").values());
        }
        assertThat(Math.sqrt(sumSq / n)).isCloseTo(0.05, offset(0.005));
    }

    @Test
    void theSameSeedGivesTheSameBytesWhateverTheThreadsAndLayout() throws Exception {
        Path one = dir.resolve("one"), two = dir.resolve("two"), other = dir.resolve("other-seed");
        Path yaml = config("seeded.yml", "mixtral");
        MoeFixtures.build(yaml, one, 21, 1, false);
        MoeFixtures.build(yaml, two, 21, 2, false);
        MoeFixtures.build(yaml, other, 22, 2, false);
        byte[] a = Files.readAllBytes(one.resolve("model.safetensors"));
        assertThat(Files.readAllBytes(two.resolve("model.safetensors"))).isEqualTo(a);
        assertThat(Files.readAllBytes(other.resolve("model.safetensors"))).isNotEqualTo(a);

        Path deepseek = dir.resolve("deepseek");
        MoeFixtures.build(config("seeded-deepseek.yml", "deepseek"), deepseek, 21, 2, false);
        Map<String, ModelFiles.Tensor> fused = MoeFixtures.read(one), split = MoeFixtures.read(deepseek);
        for (int l = 0; l < 2; l++) {
            String p = "model.layers." + l + ".mlp.";
            float[] gateUp = fused.get(p + "experts.gate_up_proj").values();
            for (int e = 0; e < 2; e++) {
                assertThat(split.get(p + "experts." + e + ".gate_proj.weight").values())
                        .containsExactly(slice(gateUp, 2 * e * I * H, I * H));
                assertThat(split.get(p + "experts." + e + ".down_proj.weight").values())
                        .containsExactly(slice(fused.get(p + "experts.down_proj").values(), e * I * H, I * H));
            }
        }
    }
}

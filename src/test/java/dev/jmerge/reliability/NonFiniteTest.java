package dev.jmerge.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.io.ModelWeights;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NaN and Inf are counted per output tensor and reported; --strict refuses them with no output. */
class NonFiniteTest {

    @TempDir
    Path dir;

    /** Writes NaN at elements 1, 5, 9 and +Inf at element 20 of ft's model.norm.weight (F32). */
    private void plantNonFinite() throws Exception {
        Path file = dir.resolve("ft/model.safetensors");
        long begin;
        try (ModelWeights w = ModelWeights.open(dir.resolve("ft"))) {
            begin = w.info("model.norm.weight").begin();
        }
        byte[] b = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : new int[] {1, 5, 9}) bb.putFloat((int) (begin + 4L * i), Float.NaN);
        bb.putFloat((int) (begin + 4L * 20), Float.POSITIVE_INFINITY);
        Files.write(file, b);
    }

    @Test
    void nonFiniteInputsAreCountedAndReported() throws Exception {
        Path config = Models.linearSetup(dir, Models.TINY, 0);
        plantNonFinite();
        Path out = dir.resolve("out");
        Cli.Result r = Cli.merge(config, out);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.errLines()).containsExactly("warning: tensor 'model.norm.weight': 3 NaN, 1 Inf in the output");
        try (ModelWeights w = ModelWeights.open(out)) {
            var seg = w.segment("model.norm.weight");
            int nan = 0, inf = 0;
            for (long i = 0; i < seg.byteSize() / 4; i++) {
                float v = seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * i);
                if (Float.isNaN(v)) nan++;
                if (Float.isInfinite(v)) inf++;
            }
            assertThat(new int[] {nan, inf}).containsExactly(3, 1);
        }
    }

    @Test
    void strictRefusesNonFiniteValuesWithNoOutput() throws Exception {
        Path config = Models.linearSetup(dir, Models.TINY, 0);
        plantNonFinite();
        Path out = dir.resolve("out");
        Cli.Result r = Cli.merge(config, out, "--strict");
        Cli.assertRefused(r, 1, out, "tensor 'model.norm.weight': 3 NaN, 1 Inf in the output", "--strict");
    }

    /**
     * A method can overflow the output type: 70000 × a norm weight near 1 is beyond float16's 65504, so each
     * such element is stored as Inf. The count is checked against the elements this test finds above the limit.
     */
    @Test
    void overflowIntoTheOutputTypeIsCountedAsInf() throws Exception {
        Models.linearSetup(dir, Models.TINY, 0);
        Path config = Models.writeString(dir.resolve("big.yml"), """
                merge_method: linear
                models:
                  - model: %s
                    parameters: {weight: 70000.0}
                  - model: %s
                    parameters: {weight: 0.0}
                parameters: {normalize: false}
                dtype: float32
                out_dtype: float16
                """.formatted(dir.resolve("base"), dir.resolve("ft")));
        long expectedInf = 0;
        try (ModelWeights base = ModelWeights.open(dir.resolve("base"))) {
            var seg = base.segment("model.norm.weight");
            for (long i = 0; i < seg.byteSize() / 4; i++) {
                double v = 70000.0 * seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * i);
                if (Math.abs(v) >= 65520) expectedInf++; // rounds to infinity in float16
            }
        }
        assertThat(expectedInf).as("most of the 32 norm weights overflow").isGreaterThan(20);
        Path out = dir.resolve("out");
        Cli.Result r = Cli.merge(config, out);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.errLines()).contains("warning: tensor 'model.norm.weight': 0 NaN, " + expectedInf + " Inf in the output");
        Cli.Result strict = Cli.merge(config, dir.resolve("strict"), "--strict");
        Cli.assertRefused(strict, 1, dir.resolve("strict"), "Inf in the output");
    }
}

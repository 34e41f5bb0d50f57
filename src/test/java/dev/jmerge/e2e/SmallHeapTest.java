package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory is bounded by design: a merge of ~250 MB of float32 inputs runs in a JVM with a 64 MB heap, and
 * writes the same bytes as an unconstrained in-process run.
 */
class SmallHeapTest {

    @TempDir
    Path tmp;

    @Test
    void mergesModelsManyTimesTheHeap() throws Exception {
        ModelShape shape = new ModelShape(512, 1408, 4, 8, 8, 8000, false, DType.F32);
        for (int v = 0; v < 3; v++) SyntheticModels.write(tmp.resolve("m" + v), shape, 3, v, 0.1, 0);
        long inputBytes = 0;
        for (int v = 0; v < 3; v++) inputBytes += Files.size(tmp.resolve("m" + v + "/model.safetensors"));
        assertThat(inputBytes).isGreaterThan(3L * 64 << 20);

        Path cfg = tmp.resolve("c.yml");
        Files.writeString(cfg, """
                merge_method: model_stock
                base_model: M/m0
                models:
                  - model: M/m1
                  - model: M/m2
                """.replace("M/", tmp + "/"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xmx64m", "--add-modules=jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), "dev.jmerge.cli.Main",
                cfg.toString(), tmp.resolve("small").toString(), "--quiet", "-j", "2"))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("child.log"))).isZero();

        Cli r = Cli.run(cfg.toString(), tmp.resolve("big").toString(), "--quiet");
        assertThat(r.exitCode()).isZero();
        assertThat(Files.mismatch(tmp.resolve("small/model.safetensors"), tmp.resolve("big/model.safetensors")))
                .isEqualTo(-1L);
    }
}

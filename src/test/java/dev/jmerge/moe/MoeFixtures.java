package dev.jmerge.moe;

import dev.jmerge.config.ConfigLoader;
import dev.jmerge.e2e.ModelFiles;
import dev.jmerge.exec.Progress;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.source.HfCache;
import dev.jmerge.source.ModelLocator;
import dev.jmerge.synth.ExampleModels;
import dev.jmerge.synth.Family;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Tiny dense models to build MoEs from, and the build itself run in-process. */
final class MoeFixtures {

    /** hidden 32, intermediate 48, 2 layers, 4 heads / 2 kv heads, vocabulary 64, bf16. */
    static final ModelShape SHAPE = new ModelShape(32, 48, 2, 4, 2, 64, false, DType.BF16);

    private MoeFixtures() {}

    /** {@code root/name/base} and fine-tunes {@code ft1..ft3} of a family, each with a word-level tokenizer. */
    static Path family(Path root, String name, Family family, ModelShape shape) {
        Path dir = root.resolve(name);
        for (int v = 0; v < 4; v++) {
            Path m = dir.resolve(v == 0 ? "base" : "ft" + v);
            SyntheticModels.write(m, shape, family, 4242L + name.hashCode(), v, 0.3, 0);
            ExampleModels.writeTokenizer(m, shape.vocab());
        }
        return dir;
    }

    static Path yaml(Path dir, String name, String text) {
        try {
            return Files.writeString(dir.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static MoePlan plan(Path yaml, boolean allowSame) {
        return MoePlanner.plan(ConfigLoader.loadMoe(yaml).config(),
                new ModelLocator(Path.of(""), new HfCache(yaml.getParent().resolve("no-hub-cache"))),
                new MoePlanner.Options(allowSame, 0));
    }

    /** Plans, computes the gates and writes {@code out}; returns the warnings of the plan and the gates. */
    static List<String> build(Path yaml, Path out, long seed, int threads, boolean allowSame) {
        try (MoePlan plan = plan(yaml, allowSame)) {
            MoeGates.Result gates = MoeGates.compute(plan, seed, KernelsProvider.get(), 1);
            new MoeBuild(plan, gates, new MoeBuild.Options(threads, seed, KernelsProvider.get(), true, true, yaml,
                    "jmerge moe test"), n -> {}).run(out, false, Progress.NONE);
            List<String> warnings = new ArrayList<>(plan.warnings());
            warnings.addAll(gates.warnings());
            return warnings;
        }
    }

    static Map<String, ModelFiles.Tensor> read(Path folder) { return ModelFiles.read(folder); }

    static float[] values(Path folder, String tensor) {
        ModelFiles.Tensor t = read(folder).get(tensor);
        if (t == null) throw new AssertionError("no tensor " + tensor + " in " + folder);
        return t.values();
    }
}

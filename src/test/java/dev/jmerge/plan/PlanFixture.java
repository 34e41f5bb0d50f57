package dev.jmerge.plan;

import dev.jmerge.config.ConfigLoader;
import dev.jmerge.source.HfCache;
import dev.jmerge.source.ModelLocator;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Three small llama models m0, m1, m2 (3 layers, bf16) and plans of configs naming them {@code M/m0} etc. */
abstract class PlanFixture {

    @TempDir
    static Path models;

    @BeforeAll
    static void generate() {
        ModelShape s = ModelShape.tiny(DType.BF16).withLayers(3);
        for (int v = 0; v < 3; v++) SyntheticModels.write(models.resolve("m" + v), s, 1, v, 0.1, 0);
    }

    /** The plan of {@code yaml} (file name test.yml), its models closed again. */
    static Plan plan(String yaml) {
        var config = ConfigLoader.parse(yaml.replace("M/", models + "/"), "test.yml").getFirst();
        Planner planner = new Planner(new ModelLocator(Path.of(""), new HfCache(models.resolve("no-cache"))));
        Plan plan = planner.plan(config, new Planner.Options(false, 0));
        plan.models().forEach(m -> m.weights().close());
        return plan;
    }
}

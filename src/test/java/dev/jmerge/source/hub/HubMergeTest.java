package dev.jmerge.source.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.cli.Main;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Merges through the CLI with models named by Hub id, served by the fake Hub. */
class HubMergeTest {

    @TempDir Path tmp;
    FakeHub hub;
    Path a;
    Path b;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        ModelShape s = ModelShape.tiny(DType.BF16).withLayers(4);
        a = tmp.resolve("a");
        b = tmp.resolve("b");
        SyntheticModels.write(a, s, 11, 0, 0, 20_000);
        SyntheticModels.write(b, s, 11, 1, 0.1, 20_000);
        hub.publish("org/a", a);
        hub.publish("org/b", b);
    }

    @AfterEach
    void stop() { hub.close(); }

    private int run(Path config, Path out, Map<String, String> extraEnv) {
        var env = new java.util.HashMap<String, String>(Map.of("HF_ENDPOINT", hub.endpoint(), "HF_HOME", tmp.resolve("hf").toString()));
        env.putAll(extraEnv);
        return Main.run(env, config.toString(), out.toString(), "--quiet", "--no-write-model-card", "--no-copy-tokenizer");
    }

    private Path config(String name, String yaml) throws IOException {
        return Files.writeString(tmp.resolve(name), yaml);
    }

    @Test
    void hubMergeEqualsTheLocalMergeAndASecondRunWorksOffline() throws IOException {
        String body = "merge_method: linear\nmodels:\n  - model: %s\n    parameters: {weight: 0.3}\n"
                + "  - model: %s\n    parameters: {weight: 0.7}\n";
        assertThat(run(config("hub.yml", body.formatted("org/a", "org/b")), tmp.resolve("out-hub"), Map.of())).isZero();
        assertThat(run(config("local.yml", body.formatted(a, b)), tmp.resolve("out-local"), Map.of())).isZero();
        assertSameTensors(tmp.resolve("out-hub"), tmp.resolve("out-local"));
        hub.close();
        assertThat(run(config("hub.yml", body.formatted("org/a", "org/b")), tmp.resolve("out-offline"),
                Map.of("HF_HUB_OFFLINE", "1"))).isZero();
        assertSameTensors(tmp.resolve("out-offline"), tmp.resolve("out-local"));
    }

    @Test
    void onlyTheShardsThePlanReadsAreDownloaded() throws IOException {
        Path cfg = config("slice.yml", "merge_method: passthrough\nslices:\n  - sources:\n"
                + "      - model: org/a\n        layer_range: [0, 1]\n");
        assertThat(run(cfg, tmp.resolve("out"), Map.of())).isZero();
        Set<String> needed = new TreeSet<>();
        Set<String> all = new TreeSet<>();
        try (ModelWeights w = ModelWeights.open(a); ModelWeights out = ModelWeights.open(tmp.resolve("out"))) {
            for (String n : w.names()) {
                all.add(w.fileOf(n).getFileName().toString());
                if (out.has(n)) needed.add(w.fileOf(n).getFileName().toString());
            }
        }
        Set<String> fetched = new TreeSet<>();
        for (String l : hub.weightRequests()) fetched.add(l.substring(l.lastIndexOf('/') + 1).split(" ")[0]);
        assertThat(fetched).isEqualTo(needed);
        assertThat(needed.size()).isLessThan(all.size());
    }

    @Test
    void aTypoInTheMethodFailsBeforeAnyHubRequest() throws IOException {
        Path cfg = config("typo.yml", "merge_method: lnear\nmodels:\n  - model: org/a\n  - model: org/b\n");
        assertThat(run(cfg, tmp.resolve("out"), Map.of())).isEqualTo(2);
        assertThat(hub.log).isEmpty();
    }

    @Test
    void anImpossibleLayerRangeFailsBeforeAnyWeightByte() throws IOException {
        Path cfg = config("range.yml", "merge_method: passthrough\nslices:\n  - sources:\n"
                + "      - model: org/a\n        layer_range: [0, 9]\n");
        assertThat(run(cfg, tmp.resolve("out"), Map.of())).isEqualTo(2);
        assertThat(hub.log).anyMatch(l -> l.startsWith("GET /api/models/org/a/revision/main"));
        assertThat(hub.weightRequests()).isEmpty();
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    /** mergekit stops on ties' density 0 mid-merge; jmerge refuses it from the headers alone. */
    @Test
    void anOutOfRangeParameterFailsBeforeAnyWeightByteOutputFolderOrLock() throws IOException {
        Path cfg = config("ties.yml", "merge_method: ties\nbase_model: org/a\nmodels:\n  - model: org/b\n"
                + "    parameters: {weight: 1, density: 0}\n");
        assertThat(run(cfg, tmp.resolve("out"), Map.of())).isEqualTo(2);
        assertThat(hub.log).anyMatch(l -> l.startsWith("GET /api/models/org/b/revision/main"));
        assertThat(hub.weightRequests()).isEmpty();
        try (var entries = Files.list(tmp)) {
            // neither the output, nor its temporary folder (.out.jmerge-tmp-*), nor its lock (.out.jmerge-lock)
            assertThat(entries.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("out")
                    || n.startsWith(".out"));
        }
    }

    private static void assertSameTensors(Path x, Path y) {
        try (ModelWeights wx = ModelWeights.open(x); ModelWeights wy = ModelWeights.open(y)) {
            assertThat(wx.names()).containsExactlyElementsOf(wy.names());
            for (String n : wx.names()) {
                assertThat(wx.segment(n).toArray(ValueLayout.JAVA_BYTE)).as(n).isEqualTo(wy.segment(n).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }
}

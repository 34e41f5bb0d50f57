package dev.jmerge.source.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.cli.Main;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What a user sees of the Hub from the command line: status lines, missing local folders, a dead network. */
class HubCliTest {

    @TempDir Path tmp;
    FakeHub hub;
    String commit;

    record Run(int code, List<String> err, long millis) {}

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        Path a = tmp.resolve("a");
        SyntheticModels.write(a, ModelShape.tiny(DType.BF16), 11, 0, 0, 20_000);
        commit = hub.publish("org/a", a);
    }

    @AfterEach
    void stop() { hub.close(); }

    private Run run(String model, String... extra) throws IOException {
        Path cfg = Files.writeString(tmp.resolve("c.yml"), "merge_method: linear\nmodels:\n  - model: " + model
                + "\n    parameters: {weight: 1}\n");
        Map<String, String> env = new HashMap<>(Map.of("HF_ENDPOINT", hub.endpoint(), "HF_HOME", tmp.resolve("hf").toString()));
        List<String> args = new java.util.ArrayList<>(List.of(cfg.toString(), tmp.resolve("out" + System.nanoTime()).toString(),
                "--no-write-model-card", "--no-copy-tokenizer"));
        args.addAll(List.of(extra));
        StringWriter err = new StringWriter();
        long t0 = System.nanoTime();
        int code = Main.run(env, new PrintWriter(new StringWriter()), new PrintWriter(err, true), args.toArray(String[]::new));
        return new Run(code, err.toString().lines().filter(l -> !l.startsWith("note: ")).toList(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** examples/ exists in the working directory, so examples/llama-a can only be a path. */
    @ParameterizedTest
    @ValueSource(strings = {"examples/llama-a", "./llama-a", "../models/llama-a", "models/x/llama-a", "/no/such/model"})
    void aPathThatLooksLocalIsReportedMissingAtOnceWithoutTheHub(String model) throws IOException {
        Run r = run(model);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).singleElement().asString().contains("model '" + model + "' not found: no folder ");
        assertThat(hub.log).isEmpty();
        assertThat(r.millis()).isLessThan(3000);
        if (model.startsWith("examples/")) {
            assertThat(r.err().getFirst()).contains("examples/ is a folder here", "not as a Hugging Face repo id");
        }
    }

    @Test
    void eachHubLookupPrintsOneStatusLine() throws IOException {
        Run r = run("org/a");
        assertThat(r.code()).as("%s", r.err()).isZero();
        assertThat(r.err()).filteredOn(l -> l.startsWith("hub: ")).singleElement().asString().matches(
                "hub: org/a@main: commit " + commit.substring(0, 12)
                        + " \\(\\d+ weight files on the Hub; those the plan reads are downloaded\\)");
        Run again = run("org/a");
        assertThat(again.err()).filteredOn(l -> l.startsWith("hub: "))
                .containsExactly("hub: org/a@main: commit " + commit.substring(0, 12) + " (cached)");
        assertThat(run("org/a", "--quiet").err()).isEmpty();
    }

    @Test
    void aCompleteCachedSnapshotIsUsedAtOnceWhenTheHubIsGone() throws IOException {
        assertThat(run("org/a").code()).isZero();
        hub.close(); // nothing listens on the port any more: connections are refused
        Run r = run("org/a");
        assertThat(r.code()).as("%s", r.err()).isZero();
        assertThat(r.err()).filteredOn(l -> l.startsWith("hub: ")).singleElement().asString()
                .startsWith("hub: org/a@main: the Hub did not answer (")
                .endsWith("; using the cached snapshot " + commit.substring(0, 12));
        assertThat(r.millis()).as("one attempt, no retries with backoff (those took 15 s)").isLessThan(6000);

        // A commit never moves: its complete snapshot is used without asking the Hub at all.
        Run pinned = run("org/a@" + commit);
        assertThat(pinned.code()).isZero();
        assertThat(pinned.err()).filteredOn(l -> l.startsWith("hub: ")).containsExactly("hub: org/a@" + commit + ": cached");
    }

    @Test
    void aDeadNetworkWithNothingCachedFailsFast() throws IOException {
        hub.close();
        Run r = run("org/a");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).filteredOn(l -> l.startsWith("error: ")).singleElement().asString()
                .contains("after 2 attempts", "the Hub cannot be reached", "HF_HUB_OFFLINE");
        assertThat(r.millis()).as("two attempts a second apart, not five with backoff (15 s)").isLessThan(8000);
    }
}

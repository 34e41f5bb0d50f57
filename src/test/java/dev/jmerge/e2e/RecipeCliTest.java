package dev.jmerge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configs with names and multi-document recipes: where each merge goes, --dry-run, jmerge multi and --lazy. */
class RecipeCliTest {

    @TempDir
    static Path models;

    @TempDir
    Path tmp;

    static final ModelShape SHAPE = ModelShape.tiny(DType.F32);

    @BeforeAll
    static void generate() {
        for (int v = 0; v < 3; v++) SyntheticModels.write(models.resolve("m" + v), SHAPE, 5, v, 0.1, 0);
    }

    /** Two intermediates and a final slerp that uses both; the final one is named too when {@code finalName} is. */
    String recipe(String finalName, double w) {
        return """
                name: blend-a
                merge_method: linear
                models:
                  - model: M/m0
                    parameters: {weight: %s}
                  - model: M/m1
                    parameters: {weight: %s}
                ---
                name: blend-b
                merge_method: linear
                models:
                  - model: M/m1
                    parameters: {weight: 0.5}
                  - model: M/m2
                    parameters: {weight: 0.5}
                ---
                %smerge_method: slerp
                base_model: blend-a
                models:
                  - model: blend-a
                  - model: blend-b
                parameters: {t: 0.3}
                """.formatted(w, 1 - w, finalName == null ? "" : "name: " + finalName + "\n").replace("M/", models + "/");
    }

    Path file(String text) throws Exception {
        return Files.writeString(tmp.resolve("c" + System.nanoTime() + ".yml"), text.replace("M/", models + "/"));
    }

    static Cli run(Object... args) {
        List<String> a = new ArrayList<>();
        for (Object o : args) a.add(o.toString());
        a.addAll(List.of("--no-copy-tokenizer", "--no-write-model-card"));
        return Cli.run(Map.of(), a.toArray(String[]::new));
    }

    @Test
    void aSingleNamedDocumentIsWrittenToOutPath() throws Exception {
        Path cfg = file("name: my-merge\nmerge_method: linear\nmodels:\n  - model: M/m0\n    parameters: {weight: 0.5}\n"
                + "  - model: M/m1\n    parameters: {weight: 0.5}\n");
        Path out = tmp.resolve("out");
        Cli r = run(cfg, out);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(out.resolve("model.safetensors")).exists();
        assertThat(tmp.resolve("out-intermediates")).doesNotExist();
        assertThat(r.errLines()).last().asString().startsWith("merged ").endsWith(out.toString());
    }

    @Test
    void whenEveryDocumentIsNamedTheOneNobodyUsesGoesToOutPath() throws Exception {
        Path out = tmp.resolve("out");
        Cli r = run(file(recipe("final-merge", 0.6)), out);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(out.resolve("config.json")).exists();
        assertThat(tmp.resolve("out-intermediates/blend-a/config.json")).exists();
        assertThat(tmp.resolve("out-intermediates/blend-b/config.json")).exists();
        assertThat(tmp.resolve("out-intermediates/final-merge")).doesNotExist();
        // the same recipe with the final document unnamed writes the same bytes
        Path unnamed = tmp.resolve("unnamed");
        assertThat(run(file(recipe(null, 0.6)), unnamed).exitCode()).isZero();
        assertThat(Files.readAllBytes(out.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(unnamed.resolve("model.safetensors")));
    }

    @Test
    void twoNamedDocumentsThatNobodyUsesAreAConfigErrorNamingBoth() throws Exception {
        Path cfg = file("""
                name: first
                merge_method: linear
                models: [{model: M/m0, parameters: {weight: 1}}]
                ---
                name: second
                merge_method: linear
                models: [{model: M/m1, parameters: {weight: 1}}]
                """);
        Cli r = run(cfg, tmp.resolve("out"));
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.errLines()).singleElement().asString()
                .contains("'first' (line 2)", "'second' (line 6)", "used by no other document");
        assertThat(tmp.resolve("out")).doesNotExist();
        assertThat(tmp.resolve("out-intermediates")).doesNotExist();
    }

    @Test
    void dryRunPlansEveryDocumentAgainstThePlannedIntermediatesAndWritesNothing() throws Exception {
        Path out = tmp.resolve("out");
        Cli r = run(file(recipe(null, 0.6)), out, "--dry-run");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("== 'blend-a' -> " + tmp.resolve("out-intermediates/blend-a"),
                "== 'blend-b' -> ", "== the final merge -> " + out, "merge_method: slerp");
        String last = r.out().substring(r.out().indexOf("merge_method: slerp"));
        // the final plan reads the intermediates' planned tensors: every name, shape and dtype of the models
        assertThat(last).contains("model.embed_tokens.weight [" + SHAPE.vocab() + ", " + SHAPE.hidden() + "] float32 <- [0](base) [1]",
                "output: " + out);
        assertThat(Stream.of(out, tmp.resolve("out-intermediates"))).allMatch(p -> !Files.exists(p));
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).allMatch(n -> n.endsWith(".yml"));
        }
    }

    @Test
    void theShippedMultiExamplePlansWithoutOutPath() {
        Cli r = Cli.run(Map.of(), "examples/multi.yml", "--dry-run");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("== 'ft-blend' -> intermediates/ft-blend", "== the final merge -> (no output path)",
                "merge_method: slerp", "output: (none)");
        assertThat(Path.of("intermediates")).doesNotExist();
    }

    @Test
    void multiTakesMergekitMultisCommandLineAndReusesOnlyWhatTheSameDocumentMade() throws Exception {
        Path inter = tmp.resolve("inter"), out = tmp.resolve("final");
        Path cfg = file(recipe(null, 0.6));
        Cli first = run("multi", cfg, "-I", inter, "--out-path", out, "--lazy");
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.errLines()).filteredOn(l -> l.startsWith("merged ")).hasSize(3);
        byte[] finalBytes = Files.readAllBytes(out.resolve("model.safetensors"));
        Path a = inter.resolve("blend-a/model.safetensors"), b = inter.resolve("blend-b/model.safetensors");
        FileTime aTime = Files.getLastModifiedTime(a), bTime = Files.getLastModifiedTime(b);

        // Unchanged: both intermediates are reused, the final merge (a fresh output folder) is made again.
        Path out2 = tmp.resolve("final2");
        Cli again = run("multi", cfg, "-I", inter, "--out-path", out2);
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.errLines()).anyMatch(l -> l.startsWith("reusing 'blend-a': "))
                .anyMatch(l -> l.startsWith("reusing 'blend-b': "));
        assertThat(Files.getLastModifiedTime(a)).isEqualTo(aTime);
        assertThat(Files.readAllBytes(out2.resolve("model.safetensors"))).isEqualTo(finalBytes);

        // blend-a's document edited: it is rebuilt (and said so), blend-b is still reused, the final merge changes.
        Files.writeString(cfg, recipe(null, 0.2));
        Path out3 = tmp.resolve("final3");
        Cli edited = run("multi", cfg, "-I", inter, "--out-path", out3);
        assertThat(edited.exitCode()).as(edited.err()).isZero();
        assertThat(edited.errLines()).contains("note: rebuilding 'blend-a' in " + inter.resolve("blend-a")
                + ": its document, options or input files changed since it was made");
        assertThat(edited.errLines()).anyMatch(l -> l.startsWith("reusing 'blend-b': "));
        assertThat(Files.getLastModifiedTime(b)).isEqualTo(bTime);
        assertThat(Files.readAllBytes(out3.resolve("model.safetensors"))).isNotEqualTo(finalBytes);

        // --no-lazy rebuilds everything.
        Cli eager = run("multi", cfg, "-I", inter, "--out-path", tmp.resolve("final4"), "--no-lazy");
        assertThat(eager.errLines()).filteredOn(l -> l.startsWith("note: rebuilding ")).hasSize(2);
        assertThat(eager.errLines()).filteredOn(l -> l.startsWith("merged ")).hasSize(3);
    }

    @Test
    void anIntermediateWithoutARecordIsRebuilt() throws Exception {
        Path inter = tmp.resolve("inter");
        Path cfg = file(recipe(null, 0.6));
        assertThat(run("multi", cfg, "-I", inter, "--out-path", tmp.resolve("o1")).exitCode()).isZero();
        Files.delete(inter.resolve(".blend-b.jmerge-made-from")); // as mergekit-multi or an older jmerge leaves it
        Cli r = run("multi", cfg, "-I", inter, "--out-path", tmp.resolve("o2"));
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.errLines()).contains("note: rebuilding 'blend-b' in " + inter.resolve("blend-b")
                + ": there is no record of how it was made");
    }

    @Test
    void multiWithoutOutPathLeavesEveryNamedMergeInTheIntermediateFolder() throws Exception {
        Path inter = tmp.resolve("inter");
        Cli r = run("multi", file(recipe("final-merge", 0.6)), "-I", inter);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(inter.resolve("final-merge/config.json")).exists();
        Cli unnamed = run("multi", file(recipe(null, 0.6)), "-I", tmp.resolve("inter2"));
        assertThat(unnamed.exitCode()).isEqualTo(2);
        assertThat(unnamed.errLines()).singleElement().asString().contains("the unnamed document", "needs --out-path");
        assertThat(tmp.resolve("inter2")).doesNotExist();
    }
}

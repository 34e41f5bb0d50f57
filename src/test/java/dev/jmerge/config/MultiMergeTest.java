package dev.jmerge.config;

import static dev.jmerge.config.ConfigLoaderTestSupport.lines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** mergekit-multi recipes: dependency order, refusal of cycles and duplicates, reference rewriting. */
class MultiMergeTest {

    private static final String RECIPE = lines(
            "merge_method: ties",                       // 1: final, unnamed, needs both intermediates
            "base_model: org/base",
            "models:",
            "  - model: mid-a",
            "  - model: mid-b@main",
            "---",
            "name: mid-b",                              // 7: depends on mid-a via a slice and the tokenizer
            "merge_method: passthrough",
            "slices:",
            "  - sources:",
            "      - {model: mid-a, layer_range: [0, 2]}",
            "tokenizer: {source: mid-a}",
            "---",
            "name: mid-a",                              // 14: leaf
            "merge_method: linear",
            "models:",
            "  - model: org/x+mid-b",                   // a LoRA path that equals a name is not a dependency
            "  - model: org/y");

    @Test
    void intermediatesComeBeforeTheirUsers() {
        List<MergeConfig> docs = ConfigLoader.parse(RECIPE, "multi.yml");
        assertThat(docs).extracting(MergeConfig::name).containsExactly(null, "mid-b", "mid-a");
        List<MergeConfig> ordered = ConfigLoader.orderByDependencies(docs);
        assertThat(ordered).extracting(MergeConfig::name).containsExactly("mid-a", "mid-b", null);
        assertThat(MultiMerge.dependencies(docs.get(0), Set.of("mid-a", "mid-b")))
                .containsExactly("mid-a", "mid-b");
        assertThat(MultiMerge.dependencies(docs.get(2), Set.of("mid-a", "mid-b"))).isEmpty();
    }

    @Test
    void independentDocumentsKeepFileOrder() {
        List<MergeConfig> docs = ConfigLoader.parse(lines(
                "name: one", "merge_method: linear", "models: [{model: x}]", "---",
                "name: two", "merge_method: linear", "models: [{model: y}]", "---",
                "merge_method: linear", "models: [{model: two}, {model: one}]"), "m.yml");
        assertThat(ConfigLoader.orderByDependencies(docs)).extracting(MergeConfig::name)
                .containsExactly("one", "two", null);
    }

    @Test
    void cycleIsRefused() {
        List<MergeConfig> docs = ConfigLoader.parse(lines(
                "name: a", "merge_method: linear", "models: [{model: b}]", "---",
                "name: b", "merge_method: linear", "models: [{model: c}]", "---",
                "name: c", "merge_method: linear", "base_model: a", "models: [{model: x}]"), "cycle.yml");
        assertThatThrownBy(() -> ConfigLoader.orderByDependencies(docs))
                .isInstanceOf(ConfigException.class)
                .hasMessage("cycle.yml line 2: 'name' \"a\" depends on itself: a -> b -> c -> a");
    }

    @Test
    void selfReferenceIsACycle() {
        List<MergeConfig> docs = ConfigLoader.parse(lines("name: s", "merge_method: linear",
                "models: [{model: s}]"), "self.yml");
        assertThatThrownBy(() -> ConfigLoader.orderByDependencies(docs))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 2").hasMessageContaining("s -> s");
    }

    @Test
    void duplicateNamesAreRefused() {
        List<MergeConfig> docs = ConfigLoader.parse(lines(
                "name: a", "merge_method: linear", "models: [{model: x}]", "---",
                "name: a", "merge_method: linear", "models: [{model: y}]"), "dup.yml");
        assertThatThrownBy(() -> ConfigLoader.orderByDependencies(docs))
                .isInstanceOf(ConfigException.class)
                .hasMessage("dup.yml line 6: 'name' \"a\" is used by two documents (the other at line 2)");
    }

    @Test
    void twoUnnamedDocumentsAreRefused() {
        List<MergeConfig> docs = ConfigLoader.parse(lines(
                "merge_method: linear", "models: [{model: x}]", "---",
                "merge_method: linear", "models: [{model: y}]"), "two.yml");
        assertThatThrownBy(() -> ConfigLoader.orderByDependencies(docs))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("two.yml line 4: more than one document has no 'name'")
                .hasMessageContaining("line 1");
    }

    @Test
    void rewriteReplacesPathsEverywhereAndKeepsTheRest() {
        List<MergeConfig> docs = ConfigLoader.parse(RECIPE, "multi.yml");
        Map<String, String> paths = Map.of("mid-a", "/tmp/i/mid-a", "mid-b", "/tmp/i/mid-b");

        MergeConfig fin = ConfigLoader.rewriteReferences(docs.get(0), paths);
        assertThat(fin.models()).extracting(InputModel::model).containsExactly(
                ModelReference.of("/tmp/i/mid-a"),
                new ModelReference(new ModelPath("/tmp/i/mid-b", "main"), null, null));
        assertThat(fin.baseModel()).isEqualTo(ModelReference.of("org/base"));
        assertThat(fin.yamlText()).isEqualTo(docs.get(0).yamlText());
        assertThat(fin.models().getFirst().pos()).isEqualTo(docs.get(0).models().getFirst().pos());

        MergeConfig midB = ConfigLoader.rewriteReferences(docs.get(1), paths);
        assertThat(midB.slices().getFirst().sources().getFirst().model()).isEqualTo(ModelReference.of("/tmp/i/mid-a"));
        assertThat(midB.slices().getFirst().sources().getFirst().layerRange())
                .isEqualTo(docs.get(1).slices().getFirst().sources().getFirst().layerRange());
        assertThat(midB.tokenizer().sourceModel()).isEqualTo(ModelReference.of("/tmp/i/mid-a"));
        assertThat(midB.tokenizer().source()).isEqualTo("/tmp/i/mid-a");

        MergeConfig midA = ConfigLoader.rewriteReferences(docs.get(2), paths);
        assertThat(midA).isEqualTo(docs.get(2)); // only a LoRA side names an intermediate: untouched
    }
}

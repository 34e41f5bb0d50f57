package dev.jmerge.arch;

import static dev.jmerge.arch.TestModels.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ArchitectureResolverTest {

    private static final ArchitectureResolver RESOLVER = new ArchitectureResolver(ArchitectureRegistry.builtIn());
    private static final Set<String> NAMES = Set.of("model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight",
            "model.norm.weight");

    private static ModelInput of(String label, String cls, String type) {
        return model(label, "{\"architectures\": [\"" + cls + "\"], \"model_type\": \"" + type + "\"}", NAMES);
    }

    @Test
    void sameDefinitionEverywhereIsUsed() {
        ArchitectureSpec spec = RESOLVER.resolve(List.of(of("a", "LlamaForCausalLM", "llama"),
                of("b", "LLaMaForCausalLM", "llama"), of("c", "LlamaForCausalLM", "llama")), false);
        assertThat(spec.id()).isEqualTo("llama");
        assertThat(spec.inferred()).isFalse();
    }

    @Test
    void mixedArchitecturesAreRefusedNamingBothModels() {
        assertThatThrownBy(() -> RESOLVER.resolve(List.of(of("org/llama-ft", "LlamaForCausalLM", "llama"),
                of("org/llama-ft2", "LlamaForCausalLM", "llama"), of("org/mistral-ft", "MistralForCausalLM", "mistral")),
                false))
                .isInstanceOf(ConfigException.class)
                .hasMessage("models 'org/llama-ft' (LlamaForCausalLM, definition llama) and 'org/mistral-ft'"
                        + " (MistralForCausalLM, definition mistral) have different architectures;"
                        + " pass --allow-crimes to merge them anyway");
        // PhiForCausalLM with two different model_types maps to two definitions: also a mix.
        assertThatThrownBy(() -> RESOLVER.resolve(List.of(of("p", "PhiForCausalLM", "phi"),
                of("q", "PhiForCausalLM", "phi-msft")), false))
                .isInstanceOf(ConfigException.class).hasMessageContaining("definition phi2-old");
    }

    @Test
    void allowCrimesTakesTheFirstModelsDefinition() {
        ModelInput llama = of("a", "LlamaForCausalLM", "llama");
        ModelInput mistral = of("b", "MistralForCausalLM", "mistral");
        assertThat(RESOLVER.resolve(List.of(llama, mistral), true).id()).isEqualTo("llama");
        assertThat(RESOLVER.resolve(List.of(mistral, llama), true).id()).isEqualTo("mistral");
    }

    @Test
    void anyModelWithoutDefinitionSwitchesToInference() {
        ArchitectureSpec spec = RESOLVER.resolve(List.of(of("a", "LlamaForCausalLM", "llama"),
                of("b", "BrandNewForCausalLM", "brand_new")), false);
        assertThat(spec.inferred()).isTrue();
        assertThat(spec.numLayers(TestModels.json("{}"))).isEqualTo(1);
        // Shared class, model_type matching none of its definitions: no definition either.
        assertThat(RESOLVER.resolve(List.of(of("p", "PhiForCausalLM", "phi4")), false).inferred()).isTrue();
    }

    @Test
    void eachConfigMustListExactlyOneArchitecture() {
        ModelInput two = model("m/two", "{\"architectures\": [\"LlamaForCausalLM\", \"MistralForCausalLM\"]}", NAMES);
        ModelInput none = model("m/none", "{\"model_type\": \"llama\"}", NAMES);
        ModelInput empty = model("m/empty", "{\"architectures\": []}", NAMES);
        ModelInput good = of("good", "LlamaForCausalLM", "llama");
        assertThatThrownBy(() -> RESOLVER.resolve(List.of(good, two), false))
                .isInstanceOf(ConfigException.class)
                .hasMessage("config.json of model 'm/two' must list exactly one class under 'architectures',"
                        + " found 2 ([\"LlamaForCausalLM\",\"MistralForCausalLM\"])");
        assertThatThrownBy(() -> RESOLVER.resolve(List.of(none), true))
                .isInstanceOf(ConfigException.class).hasMessageEndingWith("found none");
        assertThatThrownBy(() -> RESOLVER.resolve(List.of(empty), true))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'m/empty'").hasMessageContaining("found 0");
        assertThatThrownBy(() -> RESOLVER.resolve(List.of(), false)).isInstanceOf(ConfigException.class);
    }
}

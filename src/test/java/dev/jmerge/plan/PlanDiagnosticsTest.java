package dev.jmerge.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.error.ConfigException;
import org.junit.jupiter.api.Test;

/** What the plan tells about a config that will run but not as written, and the values it refuses outright. */
class PlanDiagnosticsTest extends PlanFixture {

    private static java.util.List<String> messages(Plan p) {
        return p.diagnostics().stream().map(Diagnostic::message).toList();
    }

    @Test
    void typosInParameterNamesAndFiltersEachGetOneWarningWithTheLikelyIntendedName() {
        Plan p = plan("""
                merge_method: ties
                base_model: M/m0
                models:
                  - model: M/m1
                    parameters: {weight: 0.5, desnity: 0.5}
                  - model: M/m2
                    weight: 0.5
                    parameters: {weight: 0.5}
                parameters:
                  lamda: 0.9
                  normalise: false
                  t: 0.3
                  int8_mask: true
                  rescale: [{filter: self_atn, value: 1}, {value: 0}]
                """);
        assertThat(messages(p)).containsExactly(
                "test.yml line 7: unknown key 'weight' in a 'models' entry ignored; did you mean 'parameters: {weight: ...}'?",
                "test.yml line 5: parameter 'desnity' is not one merge_method 'ties' knows, so it is ignored;"
                        + " did you mean 'density'?",
                "test.yml line 10: parameter 'lamda' is not one merge_method 'ties' knows, so it is ignored;"
                        + " did you mean 'lambda'?",
                "test.yml line 11: parameter 'normalise' is not one merge_method 'ties' knows, so it is ignored;"
                        + " did you mean 'normalize'?",
                "test.yml line 12: parameter 't' is ignored: merge_method 'ties' does not use it",
                "test.yml line 14: filter 'self_atn' of parameter 'rescale' matches no tensor, so its value is never"
                        + " used; did you mean 'self_attn'?");
        assertThat(p.diagnostics()).allMatch(Diagnostic::configMistake);
    }

    @Test
    void aMethodLevelParameterGivenToOneModelIsIgnored() {
        Plan p = plan("""
                merge_method: slerp
                base_model: M/m0
                models:
                  - model: M/m0
                  - model: M/m1
                    parameters: {t: 0.3}
                parameters: {t: 0.5}
                """);
        assertThat(messages(p)).containsExactly("test.yml line 6: parameter 't' is ignored: merge_method 'slerp'"
                + " reads it once for all models, from the slice, module or top-level parameters, not from a model's");
        assertThat(p.tensor("model.norm.weight").global().asMap().get("t")).isEqualTo(0.5);
    }

    @Test
    void aFilterThatMatchesOnlyWhereAnotherLevelWinsStillCounts() {
        Plan p = plan("""
                merge_method: linear
                models:
                  - model: M/m1
                    parameters: {weight: 1}
                  - model: M/m2
                    parameters: {weight: 1}
                parameters:
                  weight: [{filter: mlp, value: 2}]
                """);
        assertThat(p.diagnostics()).isEmpty();
    }

    @Test
    void aCleanConfigHasNoDiagnostics() {
        Plan p = plan("""
                merge_method: dare_ties
                base_model: M/m0
                models:
                  - model: M/m1
                    parameters: {weight: 0.5, density: 0.5}
                  - model: M/m2
                    parameters: {weight: [{filter: self_attn, value: 0.3}, {value: 0.5}], density: 0.5}
                parameters: {int8_mask: true, normalize: true, lambda: 1.0}
                """);
        assertThat(p.diagnostics()).isEmpty();
    }

    /** The values mergekit itself stops on mid-merge are configuration errors naming where they were set. */
    @Test
    void outOfRangeValuesAreRefusedWhenPlanning() {
        assertThatThrownBy(() -> plan("""
                merge_method: ties
                base_model: M/m0
                models:
                  - model: M/m1
                    parameters: {weight: 0.5, density: 0.5}
                  - model: M/m2
                    parameters: {weight: 0.5, density: 0}
                """)).isInstanceOf(ConfigException.class).hasMessageStartingWith("test.yml line 7: merge_method"
                + " 'ties': parameter 'density' of model '" + models + "/m2' for tensor")
                .hasMessageContaining("density 0.0 keeps no element");
        assertThatThrownBy(() -> plan("""
                merge_method: della
                base_model: M/m0
                models:
                  - model: M/m1
                    parameters: {weight: 0.5, density: 0.9}
                """)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("test.yml line 4: merge_method 'della': parameter 'epsilon' of model")
                .hasMessageContaining("density 0.9 ± epsilon 0.15 leaves (0, 1)");
        assertThatThrownBy(() -> plan("""
                merge_method: dare_linear
                base_model: M/m0
                models:
                  - model: M/m1
                    parameters: {weight: 0.5}
                parameters: {density: [{filter: mlp, value: -0.5}, {value: 0.5}]}
                """)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("test.yml line 6: merge_method 'dare_linear': parameter 'density'")
                .hasMessageContaining("for tensor 'model.layers.0.mlp.");
    }
}

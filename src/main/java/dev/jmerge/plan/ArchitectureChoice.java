package dev.jmerge.plan;

import dev.jmerge.arch.ArchitectureRegistry;
import dev.jmerge.arch.ArchitectureResolver;
import dev.jmerge.arch.ArchitectureSpec;
import dev.jmerge.arch.ModelInput;
import java.util.List;

/** Picks the architecture every model shares (or infers one) from their configs and tensor names. */
final class ArchitectureChoice {

    private static final ArchitectureResolver RESOLVER = new ArchitectureResolver(ArchitectureRegistry.builtIn());

    private ArchitectureChoice() {}

    /** The multi-module definition the models share, or empty for single-module models. */
    static java.util.Optional<dev.jmerge.arch.ModularArchitectureSpec> resolveModular(List<LoadedModel> models,
                                                                                        boolean allowCrimes) {
        return RESOLVER.resolveModular(inputs(models), allowCrimes);
    }

    private static List<ModelInput> inputs(List<LoadedModel> models) {
        return models.stream().map(m -> new ModelInput(m.label(), m.config(), m.weights().names())).toList();
    }

    static ArchitectureSpec resolve(List<LoadedModel> models, boolean allowCrimes) {
        List<ModelInput> inputs = models.stream()
                .map(m -> new ModelInput(m.label(), m.config(), m.weights().names()))
                .toList();
        return RESOLVER.resolve(inputs, allowCrimes);
    }
}

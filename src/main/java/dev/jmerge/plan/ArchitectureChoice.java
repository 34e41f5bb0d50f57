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

    static ArchitectureSpec resolve(List<LoadedModel> models, boolean allowCrimes) {
        List<ModelInput> inputs = models.stream()
                .map(m -> new ModelInput(m.label(), m.config(), m.weights().names()))
                .toList();
        return RESOLVER.resolve(inputs, allowCrimes);
    }
}

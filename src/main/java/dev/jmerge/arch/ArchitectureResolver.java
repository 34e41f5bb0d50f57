package dev.jmerge.arch;

import dev.jmerge.error.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Chooses the one architecture a merge is planned against (compat §3.1): every model's definition when they
 * all have the same one, otherwise an architecture inferred from the tensor names of all models.
 */
public final class ArchitectureResolver {

    private final ArchitectureRegistry registry;

    public ArchitectureResolver(ArchitectureRegistry registry) {
        this.registry = registry;
    }

    /**
     * @param models      every referenced model, base model first when there is one (its config decides
     *                    embedding tying during inference, and with {@code allowCrimes} its definition wins)
     * @param allowCrimes accept models whose definitions differ, planning with the first one
     */
    public ArchitectureSpec resolve(List<ModelInput> models, boolean allowCrimes) {
        if (models.isEmpty()) throw new ConfigException("the merge references no models");
        List<Optional<ArchitectureSpec>> found = new ArrayList<>();
        for (ModelInput m : models) {
            found.add(registry.find(architectureClass(m), m.modelType()));
        }
        if (found.stream().anyMatch(Optional::isEmpty)) {
            return ArchitectureInference.infer(models);
        }
        ArchitectureSpec first = found.getFirst().orElseThrow();
        for (int i = 1; i < models.size(); i++) {
            ArchitectureSpec other = found.get(i).orElseThrow();
            if (!other.equals(first) && !allowCrimes) {
                throw new ConfigException("models '" + models.getFirst().label() + "' ("
                        + describe(first, models.getFirst()) + ") and '" + models.get(i).label() + "' ("
                        + describe(other, models.get(i)) + ") have different architectures; pass --allow-crimes to merge them anyway");
            }
        }
        return first;
    }

    /**
     * The multi-module definition every model's class belongs to, or empty when none of them has one (the
     * single-module path of {@link #resolve} then applies). Mixed modular and single-module models are refused
     * unless {@code allowCrimes}, as are two different modular definitions.
     */
    public Optional<ModularArchitectureSpec> resolveModular(List<ModelInput> models, boolean allowCrimes) {
        if (models.isEmpty()) throw new ConfigException("the merge references no models");
        List<Optional<ModularArchitectureSpec>> found = new ArrayList<>();
        for (ModelInput m : models) found.add(registry.findModular(architectureClass(m)));
        Optional<ModularArchitectureSpec> first = found.getFirst();
        if (found.stream().allMatch(Optional::isEmpty)) return Optional.empty();
        for (int i = 1; i < models.size(); i++) {
            if (!found.get(i).equals(first) && !allowCrimes) {
                throw new ConfigException("models '" + models.getFirst().label() + "' (" + architectureClass(models.getFirst())
                        + ") and '" + models.get(i).label() + "' (" + architectureClass(models.get(i))
                        + ") have different architectures; pass --allow-crimes to merge them anyway");
            }
        }
        if (first.isEmpty()) {
            throw new ConfigException("model '" + models.getFirst().label() + "' (" + architectureClass(models.getFirst())
                    + ") is not a multi-module architecture but other models are; list the multi-module model first");
        }
        return first;
    }

    /** The single class name the model's config.json lists under {@code architectures}. */
    static String architectureClass(ModelInput m) {
        JsonNode list = m.config().get("architectures");
        int count = list != null && list.isArray() ? list.size() : 0;
        if (count != 1 || !list.get(0).isString()) {
            String found = list == null ? "none" : count + " (" + list + ")";
            throw new ConfigException("config.json of model '" + m.label()
                    + "' must list exactly one class under 'architectures', found " + found);
        }
        return list.get(0).stringValue();
    }

    private static String describe(ArchitectureSpec spec, ModelInput m) {
        return architectureClass(m) + ", definition " + spec.id();
    }
}

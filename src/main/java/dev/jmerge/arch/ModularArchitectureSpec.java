package dev.jmerge.arch;

import dev.jmerge.error.ConfigException;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An architecture made of named modules planned independently (vision-language models: a text decoder, a
 * vision tower and the projector between them). Single-module architectures stay {@link ArchitectureSpec}.
 *
 * @param tagalongFiles extra donor files the output needs (image preprocessor settings), copied when present
 * @param vocabSizeKey  dotted config key of the text vocabulary size
 */
public record ModularArchitectureSpec(String id, String modelType, List<String> architectures,
                                      List<ModuleSpec> modules, List<String> tagalongFiles, String vocabSizeKey) {

    public ModularArchitectureSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(modelType, "modelType");
        Objects.requireNonNull(vocabSizeKey, "vocabSizeKey");
        architectures = List.copyOf(architectures);
        modules = List.copyOf(modules);
        tagalongFiles = List.copyOf(tagalongFiles);
        if (modules.isEmpty()) throw new IllegalArgumentException(id + ": a modular architecture needs modules");
        Set<String> names = new HashSet<>();
        for (ModuleSpec m : modules) {
            if (!names.add(m.name())) throw new IllegalArgumentException(id + ": module '" + m.name() + "' twice");
        }
    }

    public List<String> moduleNames() {
        return modules.stream().map(ModuleSpec::name).toList();
    }

    public Optional<ModuleSpec> find(String name) {
        return modules.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /** @throws ConfigException naming {@code where} and listing the modules when there is no such module */
    public ModuleSpec module(String name, String where) {
        return find(name).orElseThrow(() -> new ConfigException(where + ": architecture " + id
                + " has no module '" + name + "'; its modules are " + moduleNames()));
    }
}

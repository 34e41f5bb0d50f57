package dev.jmerge.arch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The architecture definitions jmerge knows, looked up by the class name a config.json lists.
 * The bundled set is read once from {@code dev/jmerge/arch/*.json}, enumerated by {@code architectures.list}
 * (a jar cannot be listed portably, so the index is explicit; a test keeps it in step with the folder).
 */
public final class ArchitectureRegistry {

    private static final String BASE = "/dev/jmerge/arch/";

    private final List<ArchitectureSpec> specs;
    private final Map<String, List<ArchitectureSpec>> byClass;

    private final List<ModularArchitectureSpec> modular;

    private ArchitectureRegistry(Collection<ArchitectureSpec> specs) {
        this(specs, List.of());
    }

    private ArchitectureRegistry(Collection<ArchitectureSpec> specs, Collection<ModularArchitectureSpec> modular) {
        this.specs = List.copyOf(specs);
        this.modular = List.copyOf(modular);
        Map<String, List<ArchitectureSpec>> index = new LinkedHashMap<>();
        for (ArchitectureSpec s : this.specs) {
            for (String cls : s.architectures()) index.computeIfAbsent(cls, k -> new ArrayList<>()).add(s);
        }
        index.replaceAll((k, v) -> List.copyOf(v));
        this.byClass = Map.copyOf(index);
    }

    /** The definitions shipped in jmerge's resources. */
    public static ArchitectureRegistry builtIn() {
        return BuiltIn.INSTANCE;
    }

    /** A registry over the given definitions (tests, or user-supplied definitions). */
    public static ArchitectureRegistry of(Collection<ArchitectureSpec> specs) {
        return new ArchitectureRegistry(specs);
    }

    /** A registry over the given single- and multi-module definitions. */
    public static ArchitectureRegistry of(Collection<ArchitectureSpec> specs,
                                          Collection<ModularArchitectureSpec> modular) {
        return new ArchitectureRegistry(specs, modular);
    }

    /** The multi-module definitions, kept apart so every single-module lookup behaves as before. */
    public List<ModularArchitectureSpec> allModular() {
        return modular;
    }

    /** The multi-module definition listing {@code architectureClass}, if any. */
    public Optional<ModularArchitectureSpec> findModular(String architectureClass) {
        return modular.stream().filter(m -> m.architectures().contains(architectureClass)).findFirst();
    }

    public List<ArchitectureSpec> all() {
        return specs;
    }

    public Optional<ArchitectureSpec> byId(String id) {
        return specs.stream().filter(s -> s.id().equals(id)).findFirst();
    }

    /**
     * The definition for a config listing {@code architectureClass} with {@code modelType}. When several
     * definitions share the class (PhiForCausalLM: phi vs the older phi-msft layout) the one written for the
     * config's model_type wins; when none of them matches, there is no answer and the caller falls back to
     * inference, as mergekit does. A class with a single definition is accepted whatever the model_type.
     */
    public Optional<ArchitectureSpec> find(String architectureClass, String modelType) {
        List<ArchitectureSpec> candidates = byClass.getOrDefault(architectureClass, List.of());
        if (candidates.size() == 1) return Optional.of(candidates.getFirst());
        return candidates.stream().filter(s -> s.modelType().equals(modelType)).findFirst();
    }

    private static final class BuiltIn {
        static final ArchitectureRegistry INSTANCE = new ArchitectureRegistry(loadBundled(), loadModular());
    }

    static List<String> bundledIds() { return listed("architectures.list"); }

    static List<String> modularIds() { return listed("modular/modular.list"); }

    /** The ids a list resource names (a jar's folders cannot be listed portably), comments and blanks skipped. */
    private static List<String> listed(String listFile) {
        try (InputStream in = resource(listFile);
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return r.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What one definition file reads as, and the id it declares. */
    private interface Reader<T> {
        T read(String file, JsonNode json);
    }

    private static List<ArchitectureSpec> loadBundled() {
        return load(bundledIds(), "", SpecReader::read, ArchitectureSpec::id);
    }

    private static List<ModularArchitectureSpec> loadModular() {
        return load(modularIds(), "modular/", SpecReader::readModular, ModularArchitectureSpec::id);
    }

    private static <T> List<T> load(List<String> ids, String folder, Reader<T> reader,
                                    java.util.function.Function<T, String> idOf) {
        JsonMapper json = JsonMapper.shared();
        List<T> out = new ArrayList<>();
        for (String id : ids) {
            String file = folder + id + ".json";
            try (InputStream in = resource(file)) {
                T spec = reader.read(file, json.readTree(in));
                if (!idOf.apply(spec).equals(id)) {
                    throw new IllegalStateException(file + ": id '" + idOf.apply(spec) + "' differs from the file name");
                }
                out.add(spec);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (JacksonException | IllegalArgumentException e) {
                throw new IllegalStateException(
                        "bundled architecture definition " + file + " is broken: " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static InputStream resource(String name) {
        return Objects.requireNonNull(ArchitectureRegistry.class.getResourceAsStream(BASE + name),
                () -> "missing bundled resource " + BASE + name);
    }
}

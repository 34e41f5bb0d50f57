package dev.jmerge.extract;

import dev.jmerge.arch.ArchitectureRegistry;
import dev.jmerge.arch.ArchitectureResolver;
import dev.jmerge.arch.ArchitectureSpec;
import dev.jmerge.arch.ModelInput;
import dev.jmerge.arch.ModularArchitectureSpec;
import dev.jmerge.arch.ModuleSpec;
import dev.jmerge.arch.WeightSpec;
import dev.jmerge.error.ConfigException;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.plan.LoadedModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The modules of a fine-tuned model, in the order mergekit's walk over its torch modules meets them, told
 * apart without torch: the architecture definition lists the weights (pre-layer, per layer, post-layer) with
 * their aliases and which are the input embedding and output head; checkpoint tensors it does not list come
 * after, under their own names. A module is a {@code .weight} with its {@code .bias}; its kind follows from
 * its shape and place:
 * <ul>
 *   <li>a matrix the definition marks as the input embedding, or a matrix before the layers whose last name
 *       component mentions {@code embed} (or is GPT-2's {@code wte}/{@code wpe}), is an {@code nn.Embedding};
 *   <li>the layer matrices of GPT-2-style definitions (gpt2, jais) are transformers' {@code Conv1D}, which
 *       mergekit does not decompose;
 *   <li>any other matrix, the output head included, is an {@code nn.Linear};
 *   <li>vectors (norms) and tensors of three or more dimensions (convolutions) are not decomposable.
 * </ul>
 * A weight the fine-tune holds only through a tied name (an output head tied to the embedding) is the same
 * parameter as the embedding and is not a module of its own here.
 */
final class ModuleScan {

    /** Definitions whose per-layer projections are transformers' Conv1D, stored {@code [in, out]}. */
    private static final Set<String> CONV1D_ARCHITECTURES = Set.of("gpt2", "gpt2-sequence-classification", "jais");
    private static final Set<String> OUTPUT_HEADS = Set.of("lm_head", "embed_out");
    private static final Pattern IN_LAYER = Pattern.compile("\\.\\d+\\.");
    private static final ArchitectureResolver RESOLVER = new ArchitectureResolver(ArchitectureRegistry.builtIn());

    /** @param ignored tensors that are neither a module's weight nor its bias (buffers), left out of the adapter */
    record Result(List<Module> modules, String architecture, List<String> ignored) {}

    private enum Place { PRE, LAYER, POST, UNLISTED }

    /** A tensor of the checkpoint with its canonical name, its definition entry and where the definition puts it. */
    private record Entry(String canonical, String stored, WeightSpec spec, Place place, String archId) {}

    private ModuleScan() {}

    static Result scan(LoadedModel ft) {
        Set<String> names = ft.weights().names();
        ModelInput input = new ModelInput(ft.label(), ft.config(), names);
        List<Entry> listed = new ArrayList<>();
        String archId;
        Optional<ModularArchitectureSpec> modular = RESOLVER.resolveModular(List.of(input), false);
        if (modular.isPresent()) {
            archId = modular.get().id();
            for (ModuleSpec m : modular.get().modules()) listed.addAll(entries(m.prefixed(), ft));
        } else {
            ArchitectureSpec spec = RESOLVER.resolve(List.of(input), false);
            archId = spec.id();
            listed.addAll(entries(spec, ft));
        }

        Map<String, Entry> byCanonical = new LinkedHashMap<>();
        Set<String> claimed = new HashSet<>();
        for (Entry e : listed) {
            if (byCanonical.containsKey(e.canonical())) continue;
            Optional<String> stored = e.spec().resolve(names);
            if (stored.isEmpty()) {
                if (e.spec().optional()) continue;
                throw new ConfigException("model '" + ft.label() + "' has no tensor '" + e.canonical()
                        + "', which its architecture (" + e.archId() + ") requires");
            }
            if (!e.spec().presentIn(names)) continue; // a tied stand-in: the same parameter as its source
            byCanonical.put(e.canonical(), new Entry(e.canonical(), stored.get(), e.spec(), e.place(), e.archId()));
            claimed.add(stored.get());
        }
        for (String n : names) {
            if (!claimed.contains(n) && !byCanonical.containsKey(n)) {
                byCanonical.put(n, new Entry(n, n, null, Place.UNLISTED, archId));
            }
        }

        List<Module> modules = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (Entry e : byCanonical.values()) {
            if (!e.canonical().endsWith(".weight")) continue;
            String module = e.canonical().substring(0, e.canonical().length() - ".weight".length());
            TensorInfo info = ft.info(e.stored());
            if (info.rank() == 0) continue;
            Entry bias = byCanonical.get(module + ".bias");
            Module.Role role = role(e, module);
            modules.add(new Module(module, e.stored(), e.spec(), bias == null ? null : bias.stored(),
                    bias == null ? null : bias.spec(), kind(e, module, info, role), role, info.shape(), info.dtype()));
            used.add(e.canonical());
            if (bias != null) used.add(bias.canonical());
        }
        List<String> ignored = byCanonical.keySet().stream().filter(n -> !used.contains(n)).toList();
        return new Result(modules, archId, ignored);
    }

    private static List<Entry> entries(ArchitectureSpec spec, LoadedModel ft) {
        int layers = spec.numLayers(ft.config(), ft.folder().resolve("config.json").toString());
        List<Entry> out = new ArrayList<>();
        for (WeightSpec w : spec.preWeights(layers)) out.add(new Entry(w.name(), null, w, Place.PRE, spec.id()));
        for (int i = 0; i < layers; i++) {
            for (WeightSpec w : spec.layerWeights(i, layers)) out.add(new Entry(w.name(), null, w, Place.LAYER, spec.id()));
        }
        for (WeightSpec w : spec.postWeights(layers)) out.add(new Entry(w.name(), null, w, Place.POST, spec.id()));
        return out;
    }

    private static Module.Role role(Entry e, String module) {
        boolean head = Arrays.stream(module.split("\\.")).anyMatch(OUTPUT_HEADS::contains);
        if (e.spec() != null && e.spec().isEmbed()) {
            return e.place() == Place.POST || head ? Module.Role.OUTPUT_EMBEDDING : Module.Role.INPUT_EMBEDDING;
        }
        return e.spec() == null && head ? Module.Role.OUTPUT_EMBEDDING : Module.Role.NONE;
    }

    private static Module.Kind kind(Entry e, String module, TensorInfo info, Module.Role role) {
        if (info.rank() == 1) return Module.Kind.VECTOR;
        if (info.rank() > 2) return Module.Kind.TENSOR;
        if (e.place() == Place.LAYER && CONV1D_ARCHITECTURES.contains(e.archId())) return Module.Kind.CONV1D;
        if (role == Module.Role.INPUT_EMBEDDING) return Module.Kind.EMBEDDING;
        String key = module.substring(module.lastIndexOf('.') + 1);
        boolean embeddingName = key.contains("embed") || key.equals("wte") || key.equals("wpe");
        if (role == Module.Role.NONE && embeddingName && e.place() != Place.LAYER && !IN_LAYER.matcher(module).find()) {
            return Module.Kind.EMBEDDING;
        }
        return Module.Kind.LINEAR;
    }
}

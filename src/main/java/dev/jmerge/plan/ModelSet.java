package dev.jmerge.plan;

import dev.jmerge.config.ModelReference;
import dev.jmerge.config.SourcePos;
import dev.jmerge.error.ConfigException;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.io.TensorSource;
import dev.jmerge.lora.LoraAdapter;
import dev.jmerge.lora.LoraMergeCache;
import dev.jmerge.lora.LoraSource;
import dev.jmerge.source.ModelLocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The models a config references, each located and opened once (headers only), in first-mention order. */
final class ModelSet implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Map<ModelReference, LoadedModel> byRef = new LinkedHashMap<>();

    static ModelSet load(Map<ModelReference, SourcePos> refs, ModelLocator locator) {
        ModelSet set = new ModelSet();
        try {
            for (var e : refs.entrySet()) {
                ModelReference ref = e.getKey();
                if (ref.lora() != null && locator.loraMergeCache() != null) {
                    set.byRef.put(ref, mergedCopy(ref, e.getValue(), locator, set.byRef.size()));
                    continue;
                }
                var located = locator.find(ref.model(), e.getValue(), ref.toString(), false);
                Path folder = located.folder();
                JsonNode config = readConfig(folder, ref, e.getValue());
                TensorSource weights = ModelWeights.open(folder, located.remote());
                if (ref.lora() != null) weights = withAdapter(weights, ref, e.getValue(), locator);
                set.byRef.put(ref, new LoadedModel(set.byRef.size(), ref, folder, config, weights));
            }
            return set;
        } catch (RuntimeException e) {
            set.close();
            throw e;
        }
    }

    /** The model's tensors as its {@code +lora} adapter changes them; closes {@code weights} when that fails. */
    private static TensorSource withAdapter(TensorSource weights, ModelReference ref, SourcePos pos,
                                            ModelLocator locator) {
        LoraAdapter adapter = null;
        try {
            adapter = LoraAdapter.open(locator.find(ref.lora(), pos, ref.toString(), true).folder());
            return LoraSource.over(weights, adapter, pos + ": LoRA adapter '" + ref.lora() + "'", ref.model().toString());
        } catch (RuntimeException x) {
            weights.close();
            if (adapter != null) adapter.close();
            throw x;
        }
    }

    /** --lora-merge-cache: the merged copy from a previous run, else written now from base + adapter. */
    private static LoadedModel mergedCopy(ModelReference ref, SourcePos pos, ModelLocator locator, int index) {
        Path cached = LoraMergeCache.folderFor(locator.loraMergeCache(), ref.toString());
        if (!Files.isRegularFile(cached.resolve("config.json"))) {
            Path baseFolder = locator.find(ref.model(), pos, ref.toString(), true).folder();
            try (TensorSource patched = withAdapter(ModelWeights.open(baseFolder), ref, pos, locator)) {
                cached = LoraMergeCache.materialize(locator.loraMergeCache(), ref.toString(), patched);
            }
        }
        return new LoadedModel(index, ref, cached, readConfig(cached, ref, pos), ModelWeights.open(cached));
    }

    private static JsonNode readConfig(Path folder, ModelReference ref, SourcePos pos) {
        Path file = folder.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(pos + ": model '" + ref + "' has no config.json in " + folder);
        }
        try {
            // A hostile or corrupt config.json must not exhaust memory; real ones are a few KB.
            long size = Files.size(file);
            if (size > (16 << 20)) {
                throw new ConfigException(file + ": config.json is " + size + " bytes; expected a JSON object of at most 16 MB");
            }
            JsonNode node = JSON.readTree(Files.readString(file));
            if (node == null || !node.isObject()) {
                throw new ConfigException(file + ": expected a JSON object");
            }
            if (ref.overrideArchitecture() != null) {
                // The dict form's override_architecture replaces what the model's config.json claims.
                ((tools.jackson.databind.node.ObjectNode) node).putArray("architectures").add(ref.overrideArchitecture());
            }
            return node;
        } catch (JacksonException e) {
            throw new ConfigException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new ConfigException(file + ": not UTF-8; expected a UTF-8 JSON object");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    LoadedModel get(ModelReference ref) { return byRef.get(ref); }

    List<LoadedModel> all() { return new ArrayList<>(byRef.values()); }

    @Override
    public void close() {
        for (LoadedModel m : byRef.values()) m.close();
    }
}

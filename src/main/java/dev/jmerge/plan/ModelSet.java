package dev.jmerge.plan;

import dev.jmerge.config.ModelReference;
import dev.jmerge.config.SourcePos;
import dev.jmerge.error.ConfigException;
import dev.jmerge.io.safetensors.ModelWeights;
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
                Path folder = locator.locate(e.getKey(), e.getValue());
                JsonNode config = readConfig(folder, e.getKey(), e.getValue());
                ModelWeights weights = ModelWeights.open(folder);
                set.byRef.put(e.getKey(), new LoadedModel(set.byRef.size(), e.getKey(), folder, config, weights));
            }
            return set;
        } catch (RuntimeException e) {
            set.close();
            throw e;
        }
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
        for (LoadedModel m : byRef.values()) m.weights().close();
    }
}

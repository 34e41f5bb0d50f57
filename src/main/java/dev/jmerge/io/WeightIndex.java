package dev.jmerge.io;

import static dev.jmerge.io.Failures.bad;
import static dev.jmerge.io.Failures.quote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * The {@code weight_map} of a sharded model's index ({@code model.safetensors.index.json},
 * {@code pytorch_model.bin.index.json}): tensor name to shard file, in index order.
 * Every shard path is checked to stay inside the model folder and to exist, so a bad index fails before work.
 */
record WeightIndex(Path indexFile, Map<String, Path> shardOf) {

    private static final JsonFactory JSON = JsonFactory.builder().build();

    WeightIndex {
        shardOf = Collections.unmodifiableMap(new LinkedHashMap<>(shardOf));
    }

    static WeightIndex read(Path indexFile) { return read(indexFile, p -> false); }

    /** As {@link #read(Path)}, but shards for which {@code pending} holds need not exist yet. */
    static WeightIndex read(Path indexFile, java.util.function.Predicate<Path> pending) {
        Path folder = indexFile.toAbsolutePath().normalize().getParent();
        byte[] json;
        try {
            json = Files.readAllBytes(indexFile);
        } catch (NoSuchFileException e) {
            throw bad(indexFile, "no such file", "a model.safetensors.index.json", e);
        } catch (IOException e) {
            throw bad(indexFile, "cannot read (" + e + ")", "a readable index file", e);
        }
        Map<String, Path> shardOf = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw bad(indexFile, "index is not a JSON object", "{\"weight_map\": {\"tensor\": \"shard file\"}}");
            }
            boolean sawMap = false;
            for (JsonToken t = p.nextToken(); t == JsonToken.PROPERTY_NAME; t = p.nextToken()) {
                String key = p.currentName();
                p.nextToken();
                if (key.equals("weight_map")) {
                    if (sawMap) throw bad(indexFile, "weight_map appears twice", "one weight_map");
                    sawMap = true;
                    readWeightMap(indexFile, folder, p, shardOf, pending);
                } else {
                    p.skipChildren();
                }
            }
            if (!sawMap) throw bad(indexFile, "index has no weight_map", "{\"weight_map\": {\"tensor\": \"shard file\"}}");
        } catch (JacksonException e) {
            throw bad(indexFile, "not valid JSON (" + e.getOriginalMessage() + ")", "a JSON index file", e);
        }
        if (shardOf.isEmpty()) throw bad(indexFile, "weight_map is empty", "at least one tensor");
        return new WeightIndex(indexFile, shardOf);
    }

    private static void readWeightMap(Path indexFile, Path folder, JsonParser p, Map<String, Path> shardOf,
                                      java.util.function.Predicate<Path> pending) {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw bad(indexFile, "weight_map is not an object", "{\"tensor\": \"shard file\"}");
        }
        Map<String, Path> checked = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t == JsonToken.PROPERTY_NAME; t = p.nextToken()) {
            String name = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw bad(indexFile, "weight_map entry " + quote(name) + " is not a file name", "a string");
            }
            String shard = p.getString();
            Path path = checked.get(shard);
            if (path == null) {
                path = resolveShard(indexFile, folder, name, shard, pending);
                checked.put(shard, path);
            }
            if (shardOf.putIfAbsent(name, path) != null) {
                throw bad(indexFile, "weight_map names tensor " + quote(name) + " twice", "unique tensor names");
            }
        }
    }

    private static Path resolveShard(Path indexFile, Path folder, String tensor, String shard,
                                     java.util.function.Predicate<Path> pending) {
        String entry = "weight_map entry " + quote(tensor) + " -> " + quote(shard);
        Path relative;
        try {
            relative = Path.of(shard);
        } catch (InvalidPathException e) {
            throw bad(indexFile, entry + " is not a valid path", "a shard file name in the model folder", e);
        }
        if (shard.isEmpty() || relative.isAbsolute()) {
            throw bad(indexFile, entry + " is not a relative path", "a shard file name in the model folder");
        }
        Path path = folder.resolve(relative).normalize();
        if (!path.startsWith(folder) || path.equals(folder)) {
            throw bad(indexFile, entry + " leaves the model folder", "a shard file name in the model folder");
        }
        if (!Files.isRegularFile(path) && !pending.test(path)) {
            throw bad(indexFile, entry + " names a missing file", "the shard file beside the index");
        }
        return path;
    }
}

package dev.jmerge.io.safetensors;

import static dev.jmerge.io.safetensors.Failures.bad;
import static dev.jmerge.io.safetensors.Failures.quote;

import dev.jmerge.error.ConfigException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The weights of one model folder, found as mergekit finds them: {@code model.safetensors.index.json} (shards
 * opened lazily, each once) if present, else {@code model.safetensors}. PyTorch {@code .bin} checkpoints are
 * refused with a clear message. Thread-safe; {@link #close()} unmaps every shard opened so far.
 */
public final class ModelWeights implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path folder;
    private final Path indexFile;               // null for a single-file model
    private final Map<String, Path> shardOf;    // tensor name -> shard path, in index or file order
    private final Map<Path, SafetensorsFile> opened = new ConcurrentHashMap<>();
    private boolean closed;

    private ModelWeights(Path folder, Path indexFile, Map<String, Path> shardOf) {
        this.folder = folder;
        this.indexFile = indexFile;
        this.shardOf = Collections.unmodifiableMap(new LinkedHashMap<>(shardOf));
    }

    public static ModelWeights open(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new ConfigException(folder + ": not a directory; expected a model folder with " + SINGLE_FILE
                    + " or " + INDEX_FILE);
        }
        Path dir = folder.toAbsolutePath().normalize();
        Path index = dir.resolve(INDEX_FILE);
        if (Files.exists(index)) {
            WeightIndex wi = WeightIndex.read(index);
            return new ModelWeights(dir, index, wi.shardOf());
        }
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.exists(single)) {
            SafetensorsFile file = SafetensorsFile.open(single);
            Map<String, Path> shardOf = new LinkedHashMap<>();
            for (String name : file.tensors().keySet()) shardOf.put(name, single);
            ModelWeights weights = new ModelWeights(dir, null, shardOf);
            weights.opened.put(single, file);
            return weights;
        }
        if (Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))) {
            throw new ConfigException(folder + ": has only PyTorch .bin weights, which jmerge does not read yet;"
                    + " expected " + SINGLE_FILE + " or " + INDEX_FILE + " (convert the checkpoint to safetensors)");
        }
        throw new ConfigException(folder + ": no model weights found; expected " + SINGLE_FILE + " or " + INDEX_FILE);
    }

    public Path folder() { return folder; }

    /** Tensor names in index order (or file order for a single file). */
    public Set<String> names() { return shardOf.keySet(); }

    public boolean has(String name) { return shardOf.containsKey(name); }

    /** The shard holding a tensor, without opening it. */
    public Path fileOf(String name) { return shardOfOrThrow(name); }

    /** Header entry of a tensor; opens its shard on first use. */
    public TensorInfo info(String name) {
        return shard(shardOfOrThrow(name)).tensors().get(name);
    }

    /** The tensor's bytes, valid until {@link #close()}. */
    public MemorySegment segment(String name) {
        SafetensorsFile file = shard(shardOfOrThrow(name));
        return file.segment(file.tensors().get(name));
    }

    /** Absolute position of the tensor's first byte in {@link #fileOf} (for positional reads). */
    public long fileOffset(String name) {
        SafetensorsFile file = shard(shardOfOrThrow(name));
        return file.dataOffset() + file.tensors().get(name).begin();
    }

    /** Bytes of tensor data over all tensors; opens every shard. */
    public long totalBytes() {
        long total = 0;
        for (String name : shardOf.keySet()) total += info(name).byteSize();
        return total;
    }

    /** Distinct shard files, in order of first appearance. */
    public List<Path> shardFiles() { return new ArrayList<>(new LinkedHashSet<>(shardOf.values())); }

    int openedShardCount() { return opened.size(); }

    private Path shardOfOrThrow(String name) {
        Path p = shardOf.get(name);
        if (p == null) {
            throw bad(indexFile != null ? indexFile : folder.resolve(SINGLE_FILE), "no tensor " + quote(name),
                    "one of the model's " + shardOf.size() + " tensors");
        }
        return p;
    }

    private SafetensorsFile shard(Path path) {
        SafetensorsFile file = opened.get(path);
        if (file != null) return file;
        synchronized (this) {
            if (closed) throw new IllegalStateException("weights of " + folder + " are closed");
            file = opened.get(path);
            if (file != null) return file;
            file = SafetensorsFile.open(path);
            try {
                requireIndexedTensors(path, file);
            } catch (RuntimeException e) {
                file.close();
                throw e;
            }
            opened.put(path, file);
            return file;
        }
    }

    private void requireIndexedTensors(Path path, SafetensorsFile file) {
        for (Map.Entry<String, Path> e : shardOf.entrySet()) {
            if (e.getValue().equals(path) && !file.tensors().containsKey(e.getKey())) {
                throw bad(indexFile, "weight_map puts tensor " + quote(e.getKey()) + " in "
                        + quote(folder.relativize(path).toString()) + " but that file has no such tensor",
                        "every indexed tensor in its shard");
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (SafetensorsFile f : opened.values()) f.close();
        opened.clear();
    }
}

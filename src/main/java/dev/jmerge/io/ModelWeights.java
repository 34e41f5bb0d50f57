package dev.jmerge.io;

import static dev.jmerge.io.Failures.bad;
import static dev.jmerge.io.Failures.quote;

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
 * opened lazily, each once) if present, else {@code model.safetensors}; failing both, PyTorch checkpoints the same
 * way ({@code pytorch_model.bin.index.json}, else {@code pytorch_model.bin}). Thread-safe; {@link #close()} unmaps
 * every shard opened so far.
 */
public final class ModelWeights implements TensorSource {

    private final Path folder;
    private final Path indexFile;               // null for a single-file model
    private final Map<String, Path> shardOf;    // tensor name -> shard path, in index or file order
    private final Map<Path, WeightFile> opened = new ConcurrentHashMap<>();
    private final RemoteFiles remote;           // null when every file is local
    private boolean closed;

    private ModelWeights(Path folder, Path indexFile, Map<String, Path> shardOf, RemoteFiles remote) {
        this.folder = folder;
        this.indexFile = indexFile;
        this.shardOf = Collections.unmodifiableMap(new LinkedHashMap<>(shardOf));
        this.remote = remote;
    }

    public static ModelWeights open(Path folder) { return open(folder, null); }

    /**
     * As {@link #open(Path)}, where weight files that {@code remote} reports pending are planned from their
     * remote headers and must be {@link #fetch fetched} before their data is read.
     */
    public static ModelWeights open(Path folder, RemoteFiles remote) {
        List<WeightFormat> formats = WeightFormat.all();
        if (!Files.isDirectory(folder)) {
            throw new ConfigException(folder + ": not a directory; expected a model folder with "
                    + formats.getFirst().singleFile() + " or " + formats.getFirst().indexFile());
        }
        Path dir = folder.toAbsolutePath().normalize();
        java.util.function.Predicate<Path> pending = p -> remote != null && remote.pending(p);
        List<String> expected = new ArrayList<>();
        for (WeightFormat format : formats) {
            Path index = dir.resolve(format.indexFile());
            if (Files.exists(index)) {
                WeightIndex wi = WeightIndex.read(index, pending);
                return new ModelWeights(dir, index, wi.shardOf(), remote);
            }
            Path single = dir.resolve(format.singleFile());
            if (pending.test(single)) {
                Map<String, Path> shardOf = new LinkedHashMap<>();
                for (String name : remote.header(single).keySet()) shardOf.put(name, single);
                return new ModelWeights(dir, null, shardOf, remote);
            }
            if (Files.exists(single)) return ofSingle(dir, format.open(single));
            expected.add(format.singleFile());
            expected.add(format.indexFile());
        }
        throw new ConfigException(folder + ": no model weights found; expected "
                + String.join(", ", expected.subList(0, expected.size() - 1)) + " or " + expected.getLast());
    }

    private static ModelWeights ofSingle(Path dir, WeightFile file) {
        Map<String, Path> shardOf = new LinkedHashMap<>();
        for (String name : file.tensors().keySet()) shardOf.put(name, file.path());
        ModelWeights weights = new ModelWeights(dir, null, shardOf, null);
        weights.opened.put(file.path(), file);
        return weights;
    }

    @Override
    public Path folder() { return folder; }

    /** Tensor names in index order (or file order for a single file). */
    @Override
    public Set<String> names() { return shardOf.keySet(); }

    @Override
    public boolean has(String name) { return shardOf.containsKey(name); }

    /** The shard holding a tensor, without opening it. */
    @Override
    public Path fileOf(String name) { return shardOfOrThrow(name); }

    /** Header entry of a tensor; opens its shard on first use (a pending shard's remote header instead). */
    @Override
    public TensorInfo info(String name) {
        Path path = shardOfOrThrow(name);
        if (remote != null && !opened.containsKey(path) && remote.pending(path)) {
            TensorInfo info = remote.header(path).get(name);
            if (info == null) {
                throw bad(indexFile, "weight_map puts tensor " + quote(name) + " in "
                        + quote(folder.relativize(path).toString()) + " but that file has no such tensor",
                        "every indexed tensor in its shard");
            }
            return info;
        }
        return shard(path).tensors().get(name);
    }

    /** Weight files not on disk yet (empty for a local folder). */
    public List<Path> pendingFiles() {
        if (remote == null) return List.of();
        return files().stream().filter(p -> !opened.containsKey(p) && remote.pending(p)).toList();
    }

    /** Downloads those of {@code files} that are still pending; a no-op for a local folder. */
    @Override
    public void fetch(java.util.Collection<Path> files) {
        if (remote == null) return;
        List<Path> wanted = files.stream().filter(remote::pending).distinct().toList();
        if (!wanted.isEmpty()) remote.fetch(wanted);
    }

    /** The tensor's bytes, valid until {@link #close()}. */
    public MemorySegment segment(String name) {
        WeightFile file = shard(shardOfOrThrow(name));
        return file.segment(file.tensors().get(name));
    }

    /** Stored values are read as they are. */
    @Override
    public boolean adjusted(String name) { return false; }

    @Override
    public StoredTensor stored(String name) {
        Path path = shardOfOrThrow(name);
        WeightFile file = shard(path);
        TensorInfo info = file.tensors().get(name);
        return new StoredTensor(info, path, file.segment(info), null);
    }


    /** Bytes of tensor data over all tensors; opens every shard. */
    public long totalBytes() {
        long total = 0;
        for (String name : shardOf.keySet()) total += info(name).byteSize();
        return total;
    }

    /** Distinct shard files, in order of first appearance. */
    @Override
    public List<Path> files() { return new ArrayList<>(new LinkedHashSet<>(shardOf.values())); }

    int openedShardCount() { return opened.size(); }

    private Path shardOfOrThrow(String name) {
        Path p = shardOf.get(name);
        if (p == null) {
            throw bad(indexFile != null ? indexFile : shardOf.values().iterator().next(), "no tensor " + quote(name),
                    "one of the model's " + shardOf.size() + " tensors");
        }
        return p;
    }

    private WeightFile shard(Path path) {
        WeightFile file = opened.get(path);
        if (file != null) return file;
        synchronized (this) {
            if (closed) throw new IllegalStateException("weights of " + folder + " are closed");
            file = opened.get(path);
            if (file != null) return file;
            if (remote != null && remote.pending(path)) {
                throw new IllegalStateException(path + " is read before it was fetched");
            }
            file = WeightFormat.openFile(path);
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

    private void requireIndexedTensors(Path path, WeightFile file) {
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
        for (WeightFile f : opened.values()) f.close();
        opened.clear();
    }
}

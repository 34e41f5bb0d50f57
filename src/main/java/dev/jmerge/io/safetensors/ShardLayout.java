package dev.jmerge.io.safetensors;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * How output tensors are split into shard files, by mergekit's rule: tensors are taken in order and, before one
 * is added, the current shard is closed if it is non-empty and its data bytes plus the new tensor's would exceed
 * the limit. A tensor larger than the limit gets a shard of its own; a limit {@code <= 0} never splits.
 * One shard is named {@code model.safetensors} (and needs no index); N shards are
 * {@code model-00001-of-0000N.safetensors}.
 */
public record ShardLayout(List<Shard> shards) {

    /** One output file: its name, its tensors in write order and their total data bytes. */
    public record Shard(String fileName, List<TensorSpec> tensors, long dataBytes) {
        public Shard {
            tensors = List.copyOf(tensors);
        }
    }

    public ShardLayout {
        shards = List.copyOf(shards);
    }

    public static ShardLayout of(List<TensorSpec> tensors, long maxShardBytes) {
        Set<String> seen = new HashSet<>();
        List<List<TensorSpec>> groups = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long bytes = 0;
        for (TensorSpec t : tensors) {
            if (!seen.add(t.name())) throw new IllegalArgumentException("tensor " + t.name() + " listed twice");
            long size = t.byteSize();
            if (maxShardBytes > 0 && !current.isEmpty() && bytes + size > maxShardBytes) {
                groups.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(t);
            bytes += size;
        }
        if (!current.isEmpty()) groups.add(current);

        List<Shard> shards = new ArrayList<>(groups.size());
        for (int i = 0; i < groups.size(); i++) {
            List<TensorSpec> g = groups.get(i);
            long sum = 0;
            for (TensorSpec t : g) sum += t.byteSize();
            shards.add(new Shard(fileName(i, groups.size()), g, sum));
        }
        return new ShardLayout(shards);
    }

    /** The name of shard {@code index} (0-based) of {@code count}, as Hugging Face and mergekit name them. */
    public static String fileName(int index, int count) {
        if (count == 1) return SafetensorsFormat.SINGLE_FILE;
        return String.format("model-%05d-of-%05d.safetensors", index + 1, count);
    }

    /** Whether the output needs a {@code model.safetensors.index.json}: only when there is more than one shard. */
    public boolean needsIndex() { return shards.size() > 1; }

    public long totalBytes() {
        long total = 0;
        for (Shard s : shards) total += s.dataBytes();
        return total;
    }

    /** Tensor name to shard file name, sorted by tensor name (the index is written in this order). */
    public Map<String, String> weightMap() {
        Map<String, String> map = new TreeMap<>();
        for (Shard s : shards) {
            for (TensorSpec t : s.tensors()) map.put(t.name(), s.fileName());
        }
        return Collections.unmodifiableMap(map);
    }
}

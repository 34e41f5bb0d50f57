package dev.jmerge.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * mergekit's sharding rule (compat §4.1): tensors fill a shard in plan order; a tensor that would push a
 * non-empty shard past the limit starts the next one. One shard is {@code model.safetensors}, several are
 * {@code model-0000i-of-0000N.safetensors}.
 */
final class ShardPlanner {

    private ShardPlanner() {}

    static List<Plan.ShardSpec> layout(List<PlannedTensor> tensors, long maxShardBytes) {
        List<List<PlannedTensor>> groups = new ArrayList<>();
        List<PlannedTensor> current = new ArrayList<>();
        long bytes = 0;
        for (PlannedTensor t : tensors) {
            if (maxShardBytes > 0 && !current.isEmpty() && bytes + t.outBytes() > maxShardBytes) {
                groups.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(t);
            bytes += t.outBytes();
        }
        if (!current.isEmpty() || groups.isEmpty()) groups.add(current);
        List<Plan.ShardSpec> shards = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            String name = groups.size() == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, groups.size());
            shards.add(new Plan.ShardSpec(name, List.copyOf(groups.get(i))));
        }
        return shards;
    }
}

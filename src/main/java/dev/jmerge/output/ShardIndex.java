package dev.jmerge.output;

import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedTensor;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** {@code model.safetensors.index.json}, written only when the output has more than one shard. */
public final class ShardIndex {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ShardIndex() {}

    public static String render(Plan plan) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode meta = root.putObject("metadata");
        meta.put("total_size", plan.bytesWritten());
        meta.put("mergekit_version", "0.1.4");
        Map<String, String> map = new TreeMap<>();
        for (Plan.ShardSpec s : plan.shards()) {
            for (PlannedTensor t : s.tensors()) map.put(t.name(), s.fileName());
        }
        ObjectNode weights = root.putObject("weight_map");
        map.forEach(weights::put);
        return PythonStyleJson.write(root, false);
    }
}

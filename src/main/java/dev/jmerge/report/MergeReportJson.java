package dev.jmerge.report;

import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * report.json of a merge: {@code {"method", "base", "models", "tensors": [...]}}, each tensor with the numbers
 * that apply to it (keys that do not apply are left out; a number that is undefined, such as the cosine of a
 * zero task vector, is null).
 */
public final class MergeReportJson {

    private MergeReportJson() {}

    public static String render(MergeReport r) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("method", r.method());
        if (r.base() == null) root.putNull("base");
        else root.put("base", r.base());
        ArrayNode models = root.putArray("models");
        r.models().forEach(models::add);
        ArrayNode tensors = root.putArray("tensors");
        for (MergeReport.Tensor t : r.tensors()) {
            ObjectNode o = tensors.addObject();
            o.put("name", t.name());
            if (t.layer() == null) o.putNull("layer");
            else o.put("layer", t.layer().intValue());
            map(o, "task_vector_norm", t.taskVectorNorm());
            map(o, "cosine", t.cosine());
            number(o, "model_stock_t", t.modelStockT());
            map(o, "kept_fraction", t.keptFraction());
            number(o, "output_delta_norm", t.outputDeltaNorm());
            map(o, "weight_norm", t.weightNorm());
            map(o, "weight_cosine", t.weightCosine());
            number(o, "output_norm", t.outputNorm());
        }
        return JsonMapper.shared().writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    /** {@code values} as an object under {@code key} (left out when null). */
    static void map(ObjectNode o, String key, Map<String, Double> values) {
        if (values == null) return;
        ObjectNode m = o.putObject(key);
        values.forEach((k, v) -> put(m, k, v));
    }

    private static void number(ObjectNode o, String key, Double value) {
        if (value != null) put(o, key, value);
    }

    /** JSON has no NaN or infinity: those are written as null. */
    static void put(ObjectNode o, String key, Double v) {
        if (v == null || !Double.isFinite(v)) o.putNull(key);
        else o.put(key, v.doubleValue());
    }
}

package dev.jmerge.bench;

import java.nio.file.Path;
import java.util.List;

/** The merge config of each benchmarked method over the base and three fine-tunes in one folder. */
final class BenchConfigs {

    static final List<String> METHODS = List.of("linear", "task_arithmetic", "model_stock", "slerp", "nuslerp", "ties",
            "dare_ties", "breadcrumbs", "della", "sce");

    private BenchConfigs() {}

    /** Model folders the method reads (the I/O floor reads exactly these). */
    static List<String> inputs(String method) {
        return switch (method) {
            case "slerp" -> List.of("base", "ft1");
            case "nuslerp" -> List.of("base", "ft1", "ft2");
            default -> BenchModels.NAMES;
        };
    }

    static String yaml(String method, Path models) {
        String base = q(models.resolve("base"));
        String ft1 = q(models.resolve("ft1")), ft2 = q(models.resolve("ft2")), ft3 = q(models.resolve("ft3"));
        return switch (method) {
            case "linear" -> """
                    merge_method: linear
                    models:
                      - {model: %s, parameters: {weight: 0.4}}
                      - {model: %s, parameters: {weight: 0.3}}
                      - {model: %s, parameters: {weight: 0.2}}
                      - {model: %s, parameters: {weight: 0.1}}
                    dtype: bfloat16
                    """.formatted(base, ft1, ft2, ft3);
            case "task_arithmetic" -> """
                    merge_method: task_arithmetic
                    base_model: %s
                    models:
                      - {model: %s, parameters: {weight: 0.5}}
                      - {model: %s, parameters: {weight: 0.3}}
                      - {model: %s, parameters: {weight: 0.2}}
                    parameters: {lambda: 0.9}
                    dtype: bfloat16
                    """.formatted(base, ft1, ft2, ft3);
            case "model_stock" -> """
                    merge_method: model_stock
                    base_model: %s
                    models:
                      - model: %s
                      - model: %s
                      - model: %s
                    dtype: bfloat16
                    """.formatted(base, ft1, ft2, ft3);
            case "slerp" -> """
                    merge_method: slerp
                    base_model: %s
                    models:
                      - model: %s
                      - model: %s
                    parameters:
                      t:
                        - {filter: self_attn, value: [0, 0.5, 1]}
                        - {filter: mlp, value: [1, 0.5, 0]}
                        - value: 0.5
                    dtype: bfloat16
                    """.formatted(base, base, ft1);
            case "nuslerp" -> """
                    merge_method: nuslerp
                    base_model: %s
                    models:
                      - {model: %s, parameters: {weight: 0.6}}
                      - {model: %s, parameters: {weight: 0.4}}
                    dtype: bfloat16
                    """.formatted(base, ft1, ft2);
            case "sce" -> """
                    merge_method: sce
                    base_model: %s
                    models:
                      - model: %s
                      - model: %s
                      - model: %s
                    parameters: {select_topk: 0.5}
                    dtype: bfloat16
                    """.formatted(base, ft1, ft2, ft3);
            case "ties", "dare_ties", "breadcrumbs", "della" -> """
                    merge_method: %s
                    base_model: %s
                    models:
                      - {model: %s, parameters: {weight: 0.5, density: 0.5%s}}
                      - {model: %s, parameters: {weight: 0.3, density: 0.5%s}}
                      - {model: %s, parameters: {weight: 0.2, density: 0.5%s}}
                    dtype: bfloat16
                    """.formatted(method, base, ft1, eps(method), ft2, eps(method), ft3, eps(method));
            default -> throw new IllegalArgumentException("no benchmark config for " + method);
        };
    }

    private static String eps(String method) { return method.equals("della") ? ", epsilon: 0.1" : ""; }

    private static String q(Path p) { return "'" + p.toAbsolutePath().toString().replace("'", "''") + "'"; }
}

package dev.jmerge.arch;

import dev.jmerge.error.ConfigException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Builds an architecture from tensor names alone, for models no definition covers (compat §3.3).
 *
 * <p>A name with a {@code .<digits>.} part is a layer tensor; the text before the first such part is its
 * prefix, and replacing that index by {@code ${layer_index}} gives its template. The layer count of a prefix
 * is its largest index + 1. Everything else becomes a pre-weight; inferred architectures have no
 * post-weights and a fixed layer count, so the output config's layer count is never rewritten.
 *
 * <p>Where mergekit makes one module per prefix, jmerge keeps a single module: the prefix with the most
 * layers (then the most templates, then the alphabetically first) provides the layers, and the layer tensors
 * of every other prefix (a vision tower, say) become pre-weights under their concrete names. A
 * {@code models:} merge thus still covers every tensor, and {@code slices:} act on the main stack.
 *
 * <p>Without a model instance to ask, tying is read from the first model's {@code tie_word_embeddings}:
 * when true, output heads ({@code lm_head}/{@code embed_out} ...{@code .weight}) become optional embeddings
 * that fall back to the input embedding. A missing key counts as untied.
 */
final class ArchitectureInference {

    private static final Pattern LAYER_INDEX = Pattern.compile("\\.(\\d+)\\.");
    private static final Set<String> INPUT_EMBEDDINGS =
            Set.of("embed_tokens", "embed_in", "wte", "word_embeddings", "tok_embeddings");
    private static final Set<String> OUTPUT_HEADS = Set.of("lm_head", "embed_out");

    private ArchitectureInference() {}

    static ArchitectureSpec infer(List<ModelInput> models) {
        Set<String> all = new TreeSet<>();
        models.forEach(m -> all.addAll(m.tensorNames()));
        if (all.isEmpty()) {
            throw new ConfigException("cannot infer an architecture: models " + labels(models) + " hold no tensors");
        }

        Map<String, Integer> layerCounts = new TreeMap<>();
        Map<String, Set<String>> templatesByPrefix = new TreeMap<>();
        for (String name : all) {
            Matcher m = LAYER_INDEX.matcher(name);
            if (!m.find()) continue;
            String prefix = name.substring(0, m.start());
            layerCounts.merge(prefix, Integer.parseInt(m.group(1)) + 1, Math::max);
            templatesByPrefix.computeIfAbsent(prefix, k -> new TreeSet<>())
                    .add(prefix + ".${layer_index}." + name.substring(m.end()));
        }
        String main = layerCounts.keySet().stream()
                .max(Comparator.<String>comparingInt(layerCounts::get)
                        .thenComparingInt(p -> templatesByPrefix.get(p).size())
                        .thenComparing(Comparator.<String>reverseOrder()))
                .orElse(null);
        int numLayers = main == null ? 0 : layerCounts.get(main);
        Set<String> mainTemplates = main == null ? Set.of() : templatesByPrefix.get(main);

        Set<String> loose = new TreeSet<>();
        for (String name : all) {
            Matcher m = LAYER_INDEX.matcher(name);
            if (!m.find() || !name.substring(0, m.start()).equals(main)) loose.add(name);
        }

        boolean tied = models.getFirst().config().path("tie_word_embeddings").asBoolean(false);
        List<String> inputEmbeddings = loose.stream()
                .filter(n -> n.endsWith(".weight") && hasSegment(n, INPUT_EMBEDDINGS)).toList();
        List<String> tiedTo = tied && inputEmbeddings.size() == 1 ? inputEmbeddings : List.of();

        List<WeightSpec> pre = loose.stream().map(name -> {
            boolean tiedHead = tied && name.endsWith(".weight") && hasSegment(name, OUTPUT_HEADS);
            boolean embed = tiedHead || isEmbedding(name);
            boolean optional = tiedHead || !models.stream().allMatch(m -> m.tensorNames().contains(name));
            return new WeightSpec(name, embed, optional, List.of(), tiedHead ? tiedTo : List.of(), null);
        }).toList();

        List<WeightSpec> templates = mainTemplates.stream().map(t -> {
            boolean everywhere = models.stream().allMatch(m -> presentInEveryLayer(t, numLayers, m));
            boolean embed = isEmbedding(t);
            return new WeightSpec(t, embed, !everywhere, List.of(), List.of(), null);
        }).toList();

        ModelInput first = models.getFirst();
        return new ArchitectureSpec("inferred", first.modelType(), List.of(), pre, templates, List.of(),
                null, "vocab_size", numLayers, true);
    }

    private static boolean presentInEveryLayer(String template, int count, ModelInput model) {
        for (int i = 0; i < count; i++) {
            if (!model.tensorNames().contains(template.replace("${layer_index}", Integer.toString(i)))) return false;
        }
        return true;
    }

    /** Vocabulary-indexed matrices: input embeddings and output heads (their biases are not embeddings). */
    private static boolean isEmbedding(String name) {
        return name.endsWith(".weight") && (hasSegment(name, INPUT_EMBEDDINGS) || hasSegment(name, OUTPUT_HEADS));
    }

    private static boolean hasSegment(String name, Set<String> segments) {
        return Arrays.stream(name.split("\\.")).anyMatch(segments::contains);
    }

    private static String labels(List<ModelInput> models) {
        return models.stream().map(m -> "'" + m.label() + "'").distinct().toList().toString();
    }
}

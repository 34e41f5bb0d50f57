package dev.jmerge.output;

import dev.jmerge.config.ModelReference;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.Plan;
import java.util.ArrayList;
import java.util.List;

/** README.md for the merged model: front matter the Hub understands, what was merged and how, the config. */
public final class ModelCard {

    private ModelCard() {}

    /** @param seed the seed the merge's random methods drew from, or null when none did */
    public static String render(Plan plan, String outputName, Long seed) {
        StringBuilder sb = new StringBuilder("---\n");
        sb.append(baseModels(plan.models().stream().map(LoadedModel::ref).toList()));
        sb.append("library_name: transformers\ntags:\n- mergekit\n- merge\n- jmerge\n---\n");
        sb.append("# ").append(outputName).append("\n\n");
        sb.append("This model was made by merging the weights of pretrained language models with jmerge, a")
                .append(" Java implementation of [mergekit](https://github.com/arcee-ai/mergekit)'s merge methods")
                .append(" and configuration format. No training was involved.\n\n");
        sb.append("## How it was merged\n\n");
        String method = plan.method().reference() == null ? plan.method().prettyName()
                : "[" + plan.method().prettyName() + "](" + plan.method().reference() + ")";
        sb.append("Method: ").append(method);
        LoadedModel base = plan.config().baseModel() == null ? null : plan.donor();
        boolean baseIsInput = "slerp".equals(plan.method().name());
        if (base != null && !baseIsInput) sb.append(", with ").append(link(base.ref())).append(" as the base");
        sb.append(".\n\nModels combined:\n");
        for (LoadedModel m : plan.models()) {
            if (m == base && !baseIsInput) continue;
            sb.append("* ").append(link(m.ref())).append('\n');
        }
        if (seed != null) {
            sb.append("\nRandom seed: ").append(seed).append(" (`--random-seed ").append(seed)
                    .append("` reproduces this merge exactly).\n");
        }
        sb.append("\n## Configuration\n\nThe YAML configuration that produced this model:\n\n```yaml\n")
                .append(plan.config().yamlText().stripTrailing()).append("\n```\n");
        return sb.toString();
    }

    /** {@code mergekit_config.yml}: the YAML as written, plus the seed as a comment when the merge drew one. */
    public static String configFile(String yamlText, Long seed) {
        if (seed == null) return yamlText;
        String text = yamlText.isEmpty() || yamlText.endsWith("\n") ? yamlText : yamlText + "\n";
        return text + "# random seed: " + seed + " (jmerge --random-seed " + seed + " reproduces this merge)\n";
    }

    /**
     * The front matter's {@code base_model:} list: every Hub repo the references name (models and adapters), once
     * each, in order; empty when they are all local folders.
     */
    public static String baseModels(List<ModelReference> refs) {
        List<String> ids = new ArrayList<>();
        for (ModelReference r : refs) {
            for (String id : hubIds(r)) if (!ids.contains(id)) ids.add(id);
        }
        if (ids.isEmpty()) return "";
        StringBuilder sb = new StringBuilder("base_model:\n");
        for (String id : ids) sb.append("- ").append(id).append('\n');
        return sb.toString();
    }

    static List<String> hubIds(ModelReference ref) {
        List<String> ids = new ArrayList<>();
        if (isHubId(ref.model().path())) ids.add(ref.model().path());
        if (ref.lora() != null && isHubId(ref.lora().path())) ids.add(ref.lora().path());
        return ids;
    }

    /** The reference as Markdown: a link to its Hub page when it names a repo. */
    public static String link(ModelReference ref) {
        String p = ref.model().path();
        return isHubId(p) ? "[" + ref + "](https://huggingface.co/" + p + ")" : ref.toString();
    }

    /**
     * mergekit's heuristic: absolute, home-relative or deeply nested paths, and folders that exist here, are
     * local; the rest are Hub repo ids.
     */
    static boolean isHubId(String path) {
        if (path.startsWith("/") || path.startsWith("~") || path.startsWith(".")) return false;
        if (java.nio.file.Files.isDirectory(java.nio.file.Path.of(path))) return false;
        return path.chars().filter(c -> c == '/').count() == 1;
    }
}

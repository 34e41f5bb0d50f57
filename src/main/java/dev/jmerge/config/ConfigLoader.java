package dev.jmerge.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads mergekit YAML into {@link MergeConfig} records: one per YAML document, so a mergekit-multi recipe gives
 * several. Only shape and types are checked here; method names, required parameters and the models themselves
 * are the planner's business. Every error is a {@link dev.jmerge.error.ConfigException} naming file, line, key.
 */
public final class ConfigLoader {

    private ConfigLoader() {}

    /** Reads a config file (at most 10 MB, UTF-8); each document carries what reading it found. */
    public static List<MergeConfig> load(Path file) {
        return parse(YamlDocuments.readUtf8(file), file.toString());
    }

    /** Parses config text; {@code fileName} is only used in messages and {@link SourcePos}. */
    public static List<MergeConfig> parse(String text, String fileName) {
        List<MergeConfig> out = new ArrayList<>();
        for (YamlDocuments.Document doc : YamlDocuments.compose(text, fileName)) {
            out.add(new ConfigBinder(new YamlNodes(fileName)).bind(doc.root(), doc.text()));
        }
        return List.copyOf(out);
    }

    /**
     * Whether the file is a mergekit-moe config ({@code experts:} and no {@code merge_method}, compat §5.3) rather
     * than a merge config: such files go to the MoE builder ({@code jmerge moe}), not to the merge planner.
     */
    public static boolean isMoe(Path file) {
        YamlDocuments.Document first = YamlDocuments.compose(YamlDocuments.readUtf8(file), file.toString()).getFirst();
        if (!(first.root() instanceof org.snakeyaml.engine.v2.nodes.MappingNode)) return false;
        return ConfigBinder.isMoe(new YamlNodes(file.toString()).mapping(first.root(), "config", "a mapping"));
    }

    /**
     * Reads a mergekit-moe config (one YAML document, as mergekit-moe reads it), with what reading it found (keys nothing reads).
     */
    public static LoadedMoeConfig loadMoe(Path file) {
        return parseMoe(YamlDocuments.readUtf8(file), file.toString());
    }

    /** As {@link #loadMoe}, from text; {@code fileName} is only used in messages. */
    public static LoadedMoeConfig parseMoe(String text, String fileName) {
        List<YamlDocuments.Document> docs = YamlDocuments.compose(text, fileName);
        if (docs.size() != 1) {
            throw new dev.jmerge.error.ConfigException(fileName + ": a mergekit-moe config is one YAML document, this"
                    + " file has " + docs.size());
        }
        YamlNodes nodes = new YamlNodes(fileName);
        MoeConfig config = new MoeConfigBinder(nodes).bind(docs.getFirst().root(), text);
        return new LoadedMoeConfig(config, nodes.diagnostics());
    }

    /**
     * Parses a model reference string {@code MODEL['+'LORA]}, each side {@code PATH['@'REVISION]}.
     *
     * @throws dev.jmerge.error.ConfigException for more than one '+' or more than one '@' on a side, or an empty
     *     path or revision
     */
    public static ModelReference parseReference(String text, SourcePos pos) {
        return ModelReferences.parse(text, pos, "model");
    }

    /** mergekit-multi: intermediates (named documents) before the documents that use them; see {@link MultiMerge}. */
    public static List<MergeConfig> orderByDependencies(List<MergeConfig> docs) {
        return MultiMerge.orderByDependencies(docs);
    }

    /** mergekit-multi: points references to intermediates at their output folders; see {@link MultiMerge}. */
    public static MergeConfig rewriteReferences(MergeConfig c, Map<String, String> nameToPath) {
        return MultiMerge.rewriteReferences(c, nameToPath);
    }
}

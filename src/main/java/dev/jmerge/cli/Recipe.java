package dev.jmerge.cli;

import dev.jmerge.config.ConfigLoader;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.config.MultiMerge;
import dev.jmerge.error.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The merges a config file asks for, in the order they must run. One document is one merge into OUT_PATH,
 * whatever its {@code name} says (mergekit-yaml ignores it). Several are a mergekit-multi recipe: named
 * documents go to the intermediate folder and later documents may use them by name; the final merge goes to
 * OUT_PATH: the unnamed document, or when every document is named, the one no other document uses
 * ({@link MultiMerge#finalDocument}). Without an OUT_PATH ({@code jmerge multi} without {@code --out-path}),
 * named documents all stay in the intermediate folder, as mergekit-multi leaves them.
 */
record Recipe(List<Step> steps) {

    /**
     * @param intermediate a named document written to the intermediate folder (reusable by --lazy)
     * @param out where it goes; null only for the final merge of a --dry-run without OUT_PATH
     */
    record Step(MergeConfig config, Path out, boolean intermediate) {

        /** How messages name the step: its document name, else "the final merge". */
        String label() { return config.name() != null ? "'" + config.name() + "'" : "the final merge"; }
    }

    /**
     * @param pickFinal    when every document is named, still pick the final merge for OUT_PATH (jmerge CONFIG
     *                     OUT); false leaves them all intermediates (jmerge multi without --out-path)
     * @param outRequired  false for --dry-run: the final merge may then have no output path
     * @param outOption    how messages name the output path ("OUT_PATH", "--out-path")
     */
    static Recipe of(List<MergeConfig> docs, Path outPath, Path intermediateDir, boolean pickFinal,
                     boolean outRequired, String outOption) {
        List<MergeConfig> ordered = ConfigLoader.orderByDependencies(docs);
        boolean anyUnnamed = docs.stream().anyMatch(d -> d.name() == null);
        MergeConfig last = anyUnnamed || pickFinal ? MultiMerge.finalDocument(docs) : null;
        Path inter = intermediateDir != null ? intermediateDir
                : outPath != null ? outPath.toAbsolutePath().resolveSibling(outPath.getFileName() + "-intermediates")
                : Path.of("intermediates");
        Map<String, String> named = new HashMap<>();
        for (MergeConfig c : ordered) {
            if (c.name() != null && c != last) named.put(c.name(), inter.resolve(c.name()).toString());
        }
        List<Step> steps = new ArrayList<>();
        for (MergeConfig c : ordered) {
            MergeConfig rewritten = ConfigLoader.rewriteReferences(c, named);
            if (c == last) steps.add(new Step(rewritten, requireOut(c, outPath, outRequired, outOption), false));
            else steps.add(new Step(rewritten, inter.resolve(c.name()), true));
        }
        return new Recipe(List.copyOf(steps));
    }

    private static Path requireOut(MergeConfig c, Path outPath, boolean required, String option) {
        if (outPath == null && required) {
            throw new ConfigException(c.fileName() + ": the final merge (" + (c.name() == null ? "the unnamed document"
                    : "document '" + c.name() + "'") + ") needs " + option);
        }
        return outPath;
    }

    /** The output folders of every step, final merge included. */
    List<Path> outputs() {
        return steps.stream().map(Step::out).filter(p -> p != null).toList();
    }

    /** A folder with config.json and weights counts as a finished merge. */
    static boolean looksMerged(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"))
                && (Files.isRegularFile(dir.resolve("model.safetensors"))
                || Files.isRegularFile(dir.resolve("model.safetensors.index.json")));
    }
}

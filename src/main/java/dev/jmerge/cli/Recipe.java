package dev.jmerge.cli;

import dev.jmerge.config.ConfigLoader;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.error.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The merges a config file asks for, in the order they must run. One document is one merge into OUT_PATH;
 * several are a mergekit-multi recipe: named documents go to the intermediate folder and later documents
 * may use them by name; the unnamed one (at most one) goes to OUT_PATH.
 */
record Recipe(List<Step> steps) {

    /** @param skipIfPresent named intermediates already merged are reused, as mergekit-multi's --lazy does */
    record Step(MergeConfig config, Path out, boolean skipIfPresent) {}

    static Recipe of(List<MergeConfig> docs, Path outPath, Path intermediateDir) {
        if (docs.size() == 1 && docs.getFirst().name() == null) {
            return new Recipe(List.of(new Step(docs.getFirst(), outPath, false)));
        }
        List<MergeConfig> ordered = ConfigLoader.orderByDependencies(docs);
        Path inter = intermediateDir != null ? intermediateDir
                : outPath != null ? outPath.toAbsolutePath().resolveSibling(outPath.getFileName() + "-intermediates")
                : Path.of("intermediates");
        Map<String, String> named = new HashMap<>();
        for (MergeConfig c : ordered) {
            if (c.name() != null) named.put(c.name(), inter.resolve(c.name()).toString());
        }
        List<Step> steps = new ArrayList<>();
        for (MergeConfig c : ordered) {
            MergeConfig rewritten = ConfigLoader.rewriteReferences(c, named);
            if (c.name() != null) {
                steps.add(new Step(rewritten, inter.resolve(c.name()), true));
            } else {
                if (outPath == null) throw new ConfigException(c.fileName() + ": the unnamed document needs OUT_PATH");
                steps.add(new Step(rewritten, outPath, false));
            }
        }
        return new Recipe(List.copyOf(steps));
    }

    /** A folder with config.json and weights counts as a finished merge. */
    static boolean looksMerged(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"))
                && (Files.isRegularFile(dir.resolve("model.safetensors"))
                || Files.isRegularFile(dir.resolve("model.safetensors.index.json")));
    }
}

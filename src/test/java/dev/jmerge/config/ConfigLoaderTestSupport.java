package dev.jmerge.config;

import java.util.List;

/** Shared YAML snippets for the config tests. */
final class ConfigLoaderTestSupport {

    private ConfigLoaderTestSupport() {}

    static MergeConfig one(String yaml) {
        List<MergeConfig> docs = ConfigLoader.parse(yaml, "config.yml");
        if (docs.size() != 1) throw new AssertionError("expected one document, got " + docs.size());
        return docs.getFirst();
    }

    static String lines(String... lines) {
        return String.join("\n", lines) + "\n";
    }
}

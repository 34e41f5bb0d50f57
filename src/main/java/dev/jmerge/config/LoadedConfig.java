package dev.jmerge.config;

import java.util.List;

/**
 * A parsed document with the warnings found while reading it: keys mergekit would silently ignore (typos such
 * as {@code layer_ranges} land here). Each warning is one line naming file, line and key, for the CLI to print.
 */
public record LoadedConfig(MergeConfig config, List<String> warnings) {

    public LoadedConfig {
        warnings = List.copyOf(warnings);
    }
}

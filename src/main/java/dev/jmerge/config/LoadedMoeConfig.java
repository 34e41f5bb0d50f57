package dev.jmerge.config;

import java.util.List;

/** A parsed mergekit-moe config with the warnings found while reading it (unknown keys), one line each. */
public record LoadedMoeConfig(MoeConfig config, List<String> warnings) {

    public LoadedMoeConfig {
        warnings = List.copyOf(warnings);
    }
}

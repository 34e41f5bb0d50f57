package dev.jmerge.config;

import dev.jmerge.diagnostic.Diagnostic;
import java.util.List;

/** A parsed mergekit-moe config with what reading it found (keys nothing reads, with the likely intended one). */
public record LoadedMoeConfig(MoeConfig config, List<Diagnostic> diagnostics) {

    public LoadedMoeConfig {
        diagnostics = List.copyOf(diagnostics);
    }
}

package dev.jmerge.arch;

import java.util.Objects;

/**
 * One module of a multi-module architecture (compat §1.5, §3.2): a single-module body whose tensor names all
 * carry {@code weightPrefix} in the checkpoint.
 *
 * @param name         how {@code modules:} configs refer to it ({@code text_decoder}, {@code vision_tower})
 * @param weightPrefix prepended to every tensor name of the body (may be empty)
 * @param body         the module's weights and layer-count key, names without the prefix
 */
public record ModuleSpec(String name, String weightPrefix, ArchitectureSpec body) {

    public ModuleSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(weightPrefix, "weightPrefix");
        Objects.requireNonNull(body, "body");
    }

    /** The body with the prefix applied to every name, aliases and tied names included: what the planner walks. */
    public ArchitectureSpec prefixed() {
        if (weightPrefix.isEmpty()) return body;
        return new ArchitectureSpec(body.id(), body.modelType(), body.architectures(),
                body.preWeights().stream().map(w -> w.mapNames(n -> weightPrefix + n)).toList(),
                body.layerTemplates().stream().map(w -> w.mapNames(n -> weightPrefix + n)).toList(),
                body.postWeights().stream().map(w -> w.mapNames(n -> weightPrefix + n)).toList(),
                body.numLayersKey(), body.vocabSizeKey(), body.fixedNumLayers(), body.inferred());
    }
}

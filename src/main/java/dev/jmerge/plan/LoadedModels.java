package dev.jmerge.plan;

import dev.jmerge.config.ModelReference;
import dev.jmerge.config.SourcePos;
import dev.jmerge.source.ModelLocator;
import java.util.Map;

/** Opens single model references (headers only) the way a merge opens its models: for tools that are not merges. */
public final class LoadedModels {

    private LoadedModels() {}

    /**
     * The reference located (local folder, Hub cache or Hub, with its {@code +lora} adapter or the locator's
     * LoRA merge cache) and its config.json and weight headers read; the caller closes it.
     *
     * @param pos how errors name where the reference came from (a config line, a command-line flag)
     */
    public static LoadedModel open(ModelReference ref, SourcePos pos, ModelLocator locator) {
        return ModelSet.load(Map.of(ref, pos), locator).get(ref);
    }
}

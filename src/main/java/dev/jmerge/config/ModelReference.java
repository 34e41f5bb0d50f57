package dev.jmerge.config;

/**
 * A model as a config names it: {@code path[@revision][+lora[@revision]]} or the dict form. Equality is by
 * value, as in mergekit: the same reference twice is the same model.
 *
 * @param lora null when no adapter is applied
 * @param overrideArchitecture replaces {@code architectures} of the loaded config.json, or null
 */
public record ModelReference(ModelPath model, ModelPath lora, String overrideArchitecture) {

    public static ModelReference of(String path) { return new ModelReference(new ModelPath(path, null), null, null); }

    /** Parses {@code PATH[@REVISION][+LORA[@REVISION]]}; errors name {@code pos} and {@code key} (a YAML key or a flag). */
    public static ModelReference parse(String text, SourcePos pos, String key) {
        return ModelReferences.parse(text, pos, key);
    }

    @Override
    public String toString() { return lora == null ? model.toString() : model + "+" + lora; }
}

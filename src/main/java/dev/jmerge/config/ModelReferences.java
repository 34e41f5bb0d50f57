package dev.jmerge.config;

import dev.jmerge.error.ConfigException;

/** The string grammar of model references: {@code PATH['@'REVISION]['+'LORA_PATH['@'REVISION]]} (compat §1.2). */
final class ModelReferences {

    private ModelReferences() {}

    static ModelReference parse(String text, SourcePos pos, String key) {
        String[] parts = text.split("\\+", -1);
        if (parts.length > 2) {
            throw new ConfigException(pos + ": '" + key + "' model reference \"" + text
                    + "\" has more than one '+' (expected MODEL or MODEL+LORA)");
        }
        ModelPath model = parsePath(parts[0], pos, key);
        ModelPath lora = parts.length == 2 ? parsePath(parts[1], pos, key) : null;
        return new ModelReference(model, lora, null);
    }

    static ModelPath parsePath(String text, SourcePos pos, String key) {
        String[] parts = text.split("@", -1);
        if (parts.length > 2) {
            throw new ConfigException(pos + ": '" + key + "' model path \"" + text
                    + "\" has more than one '@' (expected PATH or PATH@REVISION)");
        }
        if (parts[0].isBlank()) {
            throw new ConfigException(pos + ": '" + key + "' model path \"" + text + "\" has an empty path");
        }
        if (parts.length == 2 && parts[1].isBlank()) {
            throw new ConfigException(pos + ": '" + key + "' model path \"" + text + "\" has an empty revision");
        }
        return new ModelPath(parts[0], parts.length == 2 ? parts[1] : null);
    }
}

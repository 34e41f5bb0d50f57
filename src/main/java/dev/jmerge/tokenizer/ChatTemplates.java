package dev.jmerge.tokenizer;

import dev.jmerge.error.MergeException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Resolves the {@code chat_template} setting (compat §4.4) to template text. */
public final class ChatTemplates {

    private ChatTemplates() {}

    /**
     * @param setting "auto", a built-in name or a literal template (the config loader has validated it)
     * @param models  the input model folders, read for "auto"
     * @return the template, or null when "auto" finds none
     */
    public static String resolve(String setting, Collection<Path> models, Consumer<String> warn) {
        if (setting.equals("auto")) return mostCommon(models, warn);
        String builtin = builtin(setting);
        return builtin != null ? builtin : setting;
    }

    /** A template shipped with jmerge, or null when {@code name} is not one. */
    public static String builtin(String name) {
        try (InputStream in = ChatTemplates.class.getResourceAsStream("chat_templates/" + name + ".jinja")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new MergeException("cannot read built-in chat template '" + name + "' (" + e.getMessage() + ")");
        }
    }

    private static String mostCommon(Collection<Path> models, Consumer<String> warn) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Path m : models) {
            String t = templateOf(m);
            if (t != null && !t.isBlank()) counts.merge(t.strip(), 1, Integer::sum);
        }
        if (counts.isEmpty()) {
            warn.accept("chat_template: auto found no chat template in any input model; none is written");
            return null;
        }
        String best = null;
        int n = 0;
        for (var e : counts.entrySet()) {
            if (e.getValue() > n) {
                best = e.getKey();
                n = e.getValue();
            }
        }
        return best;
    }

    /** A folder's template: chat_template.jinja (transformers v5), else tokenizer_config.json's chat_template. */
    static String templateOf(Path folder) {
        Path jinja = folder.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                return Files.readString(jinja);
            } catch (IOException e) {
                throw new MergeException(jinja + ": cannot read (" + e.getMessage() + ")");
            }
        }
        ObjectNode config = TokenizerReader.readObject(folder.resolve("tokenizer_config.json"), false);
        if (config == null) return null;
        JsonNode t = config.get("chat_template");
        if (t == null || t.isNull()) return null;
        if (t.isString()) return t.asString();
        // The list form names its templates; the one called "default" is what transformers applies.
        if (t.isArray()) {
            for (JsonNode e : t) if ("default".equals(e.path("name").asString(null))) return e.path("template").asString(null);
        }
        if (t.isObject() && t.has("default")) return t.get("default").asString(null);
        return null;
    }
}

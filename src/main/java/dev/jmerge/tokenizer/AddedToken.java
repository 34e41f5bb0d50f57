package dev.jmerge.tokenizer;

import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A token matched before the tokenizer model runs (tokenizer.json {@code added_tokens}, or a special piece of a
 * SentencePiece model). {@code flags} keeps the entry's matching options (lstrip, rstrip, normalized, ...) so
 * a merged tokenizer treats it exactly as its source did.
 */
public record AddedToken(String content, int id, boolean special, ObjectNode flags) {

    /** A token added by the merge itself, with Hugging Face's defaults for {@code add_tokens}. */
    public static AddedToken fresh(String content, int id, boolean special) {
        ObjectNode f = JsonNodeFactory.instance.objectNode();
        f.put("single_word", false);
        f.put("lstrip", false);
        f.put("rstrip", false);
        f.put("normalized", !special);
        return new AddedToken(content, id, special, f);
    }

    public AddedToken withId(int newId) { return new AddedToken(content, newId, special, flags); }

    /** The tokenizer.json form: id, content, then the matching flags, then special. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", id);
        o.put("content", content);
        for (String k : new String[] {"single_word", "lstrip", "rstrip", "normalized"}) {
            o.put(k, flags.has(k) ? flags.get(k).asBoolean() : k.equals("normalized") && !special);
        }
        o.put("special", special);
        return o;
    }

    /** The tokenizer_config.json {@code added_tokens_decoder} form (no id: the id is the key). */
    public ObjectNode toDecoderJson() {
        ObjectNode o = toJson();
        o.remove("id");
        return o;
    }
}

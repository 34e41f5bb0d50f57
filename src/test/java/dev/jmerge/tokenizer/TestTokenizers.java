package dev.jmerge.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Writes small tokenizers of every kind into model folders: tokenizer.json models and SentencePiece protobufs. */
public final class TestTokenizers {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** An added_tokens entry: the token's content, its id, and whether it is special. */
    public record Added(String content, int id, boolean special) {}

    private TestTokenizers() {}

    /** BPE over a whitespace pre-tokenizer; {@code vocab} gives ids by position. */
    public static void bpe(Path dir, List<String> vocab, List<String> merges, List<Added> added) {
        ObjectNode model = F.objectNode();
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.set("vocab", vocabObject(vocab));
        ArrayNode m = model.putArray("merges");
        merges.forEach(m::add);
        write(dir, model, added);
    }

    public static void wordLevel(Path dir, List<String> vocab, List<Added> added) {
        ObjectNode model = F.objectNode();
        model.put("type", "WordLevel");
        model.set("vocab", vocabObject(vocab));
        model.put("unk_token", "<unk>");
        write(dir, model, added);
    }

    public static void wordPiece(Path dir, List<String> vocab, List<Added> added) {
        ObjectNode model = F.objectNode();
        model.put("type", "WordPiece");
        model.put("unk_token", "[UNK]");
        model.put("continuing_subword_prefix", "##");
        model.put("max_input_chars_per_word", 100);
        model.set("vocab", vocabObject(vocab));
        write(dir, model, added);
    }

    public static void unigram(Path dir, List<String> vocab, List<Added> added) {
        ObjectNode model = F.objectNode();
        model.put("type", "Unigram");
        model.put("unk_id", 0);
        ArrayNode v = model.putArray("vocab");
        for (int i = 0; i < vocab.size(); i++) v.addArray().add(vocab.get(i)).add(-1.0 - i * 0.25);
        model.put("byte_fallback", false);
        write(dir, model, added);
    }

    /** SentencePiece piece types as numbered in sentencepiece_model.proto. */
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4;

    /**
     * A tokenizer.model: ModelProto {1: pieces, 2: trainer_spec, 3: normalizer_spec}. The trainer and
     * normalizer messages carry a few fields only so the reader has something real to skip.
     */
    public static void sentencePiece(Path dir, List<String> pieces, Map<String, Integer> types) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < pieces.size(); i++) {
            ByteArrayOutputStream p = new ByteArrayOutputStream();
            bytesField(p, 1, pieces.get(i).getBytes(StandardCharsets.UTF_8));
            tag(p, 2, 5);
            p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(-0.5f * i).array());
            int type = types.getOrDefault(pieces.get(i), NORMAL);
            if (type != NORMAL || i % 2 == 0) { // the type field is optional: NORMAL is the default
                tag(p, 3, 0);
                varint(p, type);
            }
            bytesField(out, 1, p.toByteArray());
        }
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        tag(trainer, 3, 0);
        varint(trainer, 2); // model_type BPE
        tag(trainer, 4, 0);
        varint(trainer, pieces.size());
        bytesField(out, 2, trainer.toByteArray());
        ByteArrayOutputStream normalizer = new ByteArrayOutputStream();
        bytesField(normalizer, 1, "identity".getBytes(StandardCharsets.UTF_8));
        bytesField(out, 3, normalizer.toByteArray());
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve("tokenizer.model"), out.toByteArray());
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** A tokenizer_config.json with the usual special tokens and, when given, a chat template. */
    public static void tokenizerConfig(Path dir, String chatTemplate) {
        ObjectNode c = F.objectNode();
        c.put("bos_token", "<s>");
        c.put("eos_token", "</s>");
        c.put("unk_token", "<unk>");
        c.put("model_max_length", 2048);
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        if (chatTemplate != null) c.put("chat_template", chatTemplate);
        writeJson(dir.resolve("tokenizer_config.json"), c);
    }

    private static void write(Path dir, ObjectNode model, List<Added> added) {
        ObjectNode root = F.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode a = root.putArray("added_tokens");
        for (Added t : added) {
            a.addObject().put("id", t.id()).put("content", t.content()).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", !t.special())
                    .put("special", t.special());
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "Whitespace");
        root.putNull("post_processor");
        root.putNull("decoder");
        root.set("model", model);
        writeJson(dir.resolve("tokenizer.json"), root);
    }

    private static ObjectNode vocabObject(List<String> vocab) {
        ObjectNode v = F.objectNode();
        for (int i = 0; i < vocab.size(); i++) v.put(vocab.get(i), i);
        return v;
    }

    private static void writeJson(Path file, ObjectNode node) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, JsonMapper.shared().writeValueAsString(node));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] value) {
        tag(out, field, 2);
        varint(out, value.length);
        out.writeBytes(value);
    }

    private static void tag(ByteArrayOutputStream out, int field, int wire) { varint(out, ((long) field << 3) | wire); }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}

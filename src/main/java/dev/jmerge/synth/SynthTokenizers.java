package dev.jmerge.synth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Small tokenizers of the kinds real models ship, trained by a plain BPE loop on a built-in paragraph:
 * <ul>
 *   <li>{@link #byteLevel}: Llama-3 / Qwen style byte-level BPE (regex split, GPT-2 byte alphabet: the token
 *       of byte {@code b} has id {@code b}), added tokens {@code <|begin_of_text|>}, {@code <|end_of_text|>},
 *       {@code <|im_start|>}, {@code <|im_end|>}, a post-processor that prepends {@code <|begin_of_text|>};</li>
 *   <li>{@link #metaspaceBpe}: Llama-2 / Mistral style: {@code ▁} for spaces, BPE with byte fallback
 *       ({@code <0xNN>} has id {@code 3 + NN}), {@code add_bos_token: true} in tokenizer_config.json;</li>
 *   <li>{@link #metaspaceUnigram}: a Unigram model over the same pieces (T5 style Metaspace pre-tokenizer).</li>
 * </ul>
 */
public final class SynthTokenizers {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SPACE = "\u2581";
    /** transformers' Llama-3 pre-tokenizer pattern. */
    private static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
            + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** What the tokenizers are trained on: a paragraph of our own, with a few accented words. */
    static final String CORPUS = """
            The merge of two models is a model too. When the weights of the parents are close, their average \
            keeps what both of them know; when they are far apart, the average can forget everything. People \
            check a merged model by reading what it writes, and by measuring how surprised it is by ordinary \
            text. A lower perplexity means the model expected the words that came. The café on the corner \
            serves the same coffee as the one downtown, and the naïve reader will not taste the difference. \
            Numbers such as 1234 and 3.14 appear in text as often as names; tokenizers split them in pieces. \
            Tokenizers also learn that the, and, that, there and these share their beginnings, so those \
            beginnings become tokens of their own, and the rest of a word follows in shorter pieces.""";

    private SynthTokenizers() {}

    // ---- byte-level BPE ---------------------------------------------------------------------------------------

    /** GPT-2's printable stand-in for each byte: printable Latin-1 bytes stand for themselves, the rest map above 255. */
    public static String byteChar(int b) {
        if (b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF) return String.valueOf((char) b);
        int n = 0;
        for (int c = 0; c < b; c++) {
            if (!(c >= '!' && c <= '~' || c >= 0xA1 && c <= 0xAC || c >= 0xAE && c <= 0xFF)) n++;
        }
        return String.valueOf((char) (256 + n));
    }

    public static void byteLevel(Path dir, int merges) {
        List<List<String>> words = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(" ?\\p{L}+| ?\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+|\\s+")
                .matcher(CORPUS);
        while (m.find()) {
            List<String> w = new ArrayList<>();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) w.add(byteChar(b & 0xFF));
            words.add(w);
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(byteChar(b), b);
        List<String> learned = train(words, merges, vocab);
        ObjectNode root = skeleton();
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>"};
        for (String s : specials) addToken(added, s, vocab.size() + added.size(), true);
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode seq = pre.putArray("pretokenizers");
        ObjectNode split = seq.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", LLAMA3_SPLIT);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode bl = seq.addObject();
        bl.put("type", "ByteLevel");
        bl.put("add_prefix_space", false);
        bl.put("trim_offsets", true);
        bl.put("use_regex", false);
        root.set("post_processor", template("<|begin_of_text|>", vocab.size(), true));
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel");
        dec.put("add_prefix_space", true);
        dec.put("trim_offsets", true);
        dec.put("use_regex", true);
        root.set("model", bpeModel(vocab, learned, null, false));
        ObjectNode cfg = F.objectNode();
        cfg.put("bos_token", "<|begin_of_text|>");
        cfg.put("eos_token", "<|end_of_text|>");
        cfg.put("model_max_length", 131072);
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        write(dir, root, cfg);
    }

    // ---- metaspace BPE with byte fallback ------------------------------------------------------------------------

    public static void metaspaceBpe(Path dir, int merges) {
        Map<String, Integer> vocab = metaspaceBase();
        List<String> learned = train(metaspaceWords(), merges, vocab);
        ObjectNode root = skeleton();
        ArrayNode added = root.putArray("added_tokens");
        addToken(added, "<unk>", 0, true);
        addToken(added, "<s>", 1, true);
        addToken(added, "</s>", 2, true);
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode ns = norm.putArray("normalizers");
        ns.addObject().put("type", "Prepend").put("prepend", SPACE);
        ObjectNode rep = ns.addObject();
        rep.put("type", "Replace");
        rep.putObject("pattern").put("String", " ");
        rep.put("content", SPACE);
        root.putNull("pre_tokenizer");
        root.set("post_processor", template("<s>", 1, true));
        root.set("decoder", metaspaceDecoder());
        root.set("model", bpeModel(vocab, learned, "<unk>", true));
        write(dir, root, llamaConfig());
    }

    // ---- metaspace Unigram ------------------------------------------------------------------------------------

    /** The pieces the BPE of the same corpus learns, scored by how often they occur, as a Unigram model. */
    public static void metaspaceUnigram(Path dir, int merges) {
        Map<String, Integer> vocab = metaspaceBase();
        List<List<String>> words = metaspaceWords();
        train(words, merges, vocab);
        Map<String, Integer> counts = new HashMap<>();
        for (List<String> w : words) for (String p : w) counts.merge(p, 1, Integer::sum);
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        ObjectNode root = skeleton();
        ArrayNode added = root.putArray("added_tokens");
        addToken(added, "<unk>", 0, true);
        addToken(added, "<s>", 1, true);
        addToken(added, "</s>", 2, true);
        root.putNull("normalizer");
        root.set("pre_tokenizer", metaspace());
        root.set("post_processor", template("</s>", 2, false));
        root.set("decoder", metaspace());
        ObjectNode model = root.putObject("model");
        model.put("type", "Unigram");
        model.put("unk_id", 0);
        ArrayNode v = model.putArray("vocab");
        List<Map.Entry<String, Integer>> byId = new ArrayList<>(vocab.entrySet());
        byId.sort(Map.Entry.comparingByValue());
        for (Map.Entry<String, Integer> e : byId) {
            int c = counts.getOrDefault(e.getKey(), 0);
            double score = e.getValue() < 3 ? 0.0 : Math.log((c + 0.1) / (total + 0.1 * vocab.size()));
            v.addArray().add(e.getKey()).add(Math.round(score * 1e4) / 1e4);
        }
        model.put("byte_fallback", true);
        ObjectNode cfg = llamaConfig();
        cfg.put("add_bos_token", false);
        cfg.put("add_eos_token", true);
        write(dir, root, cfg);
    }

    // ---- shared pieces ---------------------------------------------------------------------------------------

    /** {@code <unk>, <s>, </s>}, the 256 byte-fallback tokens, then every character of the corpus. */
    private static Map<String, Integer> metaspaceBase() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (int b = 0; b < 256; b++) vocab.put(String.format("<0x%02X>", b), vocab.size());
        java.util.TreeSet<String> chars = new java.util.TreeSet<>();
        CORPUS.replace(" ", SPACE).codePoints().forEach(c -> chars.add(new String(Character.toChars(c))));
        chars.add(SPACE);
        for (String c : chars) vocab.putIfAbsent(c, vocab.size());
        return vocab;
    }

    private static List<List<String>> metaspaceWords() {
        List<List<String>> words = new ArrayList<>();
        for (String w : CORPUS.split(" ")) {
            List<String> chars = new ArrayList<>();
            chars.add(SPACE);
            w.codePoints().forEach(c -> chars.add(new String(Character.toChars(c))));
            words.add(chars);
        }
        return words;
    }

    /**
     * Plain BPE training: repeatedly merge the most frequent adjacent pair (ties: the smaller pair in string
     * order, so the result is deterministic), adding each merged piece to {@code vocab}. Returns the merges.
     */
    static List<String> train(List<List<String>> words, int merges, Map<String, Integer> vocab) {
        List<String> learned = new ArrayList<>();
        for (int step = 0; step < merges; step++) {
            Map<String, Integer> pairs = new TreeMap<>();
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) pairs.merge(w.get(i) + " " + w.get(i + 1), 1, Integer::sum);
            }
            String best = null;
            int bestCount = 1;
            for (var e : pairs.entrySet()) {
                if (e.getValue() > bestCount) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (best == null) break;
            String[] ab = best.split(" ", 2);
            String merged = ab[0] + ab[1];
            learned.add(best);
            vocab.putIfAbsent(merged, vocab.size());
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    if (w.get(i).equals(ab[0]) && w.get(i + 1).equals(ab[1])) {
                        w.set(i, merged);
                        w.remove(i + 1);
                    }
                }
            }
        }
        return learned;
    }

    private static ObjectNode bpeModel(Map<String, Integer> vocab, List<String> merges, String unk, boolean byteFallback) {
        ObjectNode model = F.objectNode();
        model.put("type", "BPE");
        model.putNull("dropout");
        if (unk == null) model.putNull("unk_token");
        else model.put("unk_token", unk);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", byteFallback);
        model.put("byte_fallback", byteFallback);
        model.put("ignore_merges", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        merges.forEach(m::add);
        return model;
    }

    /** A post-processor adding {@code token} before (or after) each sequence. */
    private static ObjectNode template(String token, int id, boolean before) {
        ObjectNode post = F.objectNode();
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        ArrayNode pair = post.putArray("pair");
        for (int t = 0; t < 2; t++) {
            ObjectNode special = F.objectNode(), seq = F.objectNode();
            special.putObject("SpecialToken").put("id", token).put("type_id", t);
            seq.putObject("Sequence").put("id", t == 0 ? "A" : "B").put("type_id", t);
            for (ArrayNode a : t == 0 ? List.of(single, pair) : List.of(pair)) {
                a.add(before ? special : seq);
                a.add(before ? seq : special);
            }
        }
        ObjectNode st = post.putObject("special_tokens").putObject(token);
        st.put("id", token);
        st.putArray("ids").add(id);
        st.putArray("tokens").add(token);
        return post;
    }

    /** T5-style Metaspace: pre-tokenizer and decoder alike. */
    private static ObjectNode metaspace() {
        ObjectNode m = F.objectNode();
        m.put("type", "Metaspace");
        m.put("replacement", SPACE);
        m.put("prepend_scheme", "always");
        m.put("split", true);
        return m;
    }

    private static ObjectNode metaspaceDecoder() {
        ObjectNode dec = F.objectNode();
        dec.put("type", "Sequence");
        ArrayNode ds = dec.putArray("decoders");
        ObjectNode r = ds.addObject();
        r.put("type", "Replace");
        r.putObject("pattern").put("String", SPACE);
        r.put("content", " ");
        ds.addObject().put("type", "ByteFallback");
        ds.addObject().put("type", "Fuse");
        ObjectNode strip = ds.addObject();
        strip.put("type", "Strip");
        strip.put("content", " ");
        strip.put("start", 1);
        strip.put("stop", 0);
        return dec;
    }

    private static ObjectNode llamaConfig() {
        ObjectNode cfg = F.objectNode();
        cfg.put("add_bos_token", true);
        cfg.put("add_eos_token", false);
        cfg.put("bos_token", "<s>");
        cfg.put("eos_token", "</s>");
        cfg.put("unk_token", "<unk>");
        cfg.put("legacy", true);
        cfg.put("model_max_length", 4096);
        cfg.put("tokenizer_class", "LlamaTokenizer");
        return cfg;
    }

    private static ObjectNode skeleton() {
        ObjectNode root = F.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        return root;
    }

    private static void addToken(ArrayNode added, String content, int id, boolean special) {
        ObjectNode t = added.addObject();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", special);
    }

    private static void write(Path dir, ObjectNode tokenizer, ObjectNode config) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("tokenizer.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tokenizer) + "\n");
            Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.jmerge.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every broken or hostile input, end to end through the CLI: the right exit code (2 config, 1 merge), one
 * line on stderr naming the file, key or tensor and what was expected, no stack trace, no output folder and
 * nothing temporary left beside it. Safetensors parsing itself is covered in depth in io.safetensors; here
 * each kind of damage is planted in a real model folder that a real config merges.
 */
class HostileInputsTest {

    @TempDir
    Path dir;

    /** Plants damage in the models of a linear setup and returns the config to run. */
    interface Damage {
        Path plant(Path dir, Path base, Path ft, Path config) throws Exception;
    }

    private static final JsonMapper JSON = JsonMapper.shared();
    static final String NORM = "model.norm.weight";
    static final String EMBED = "model.embed_tokens.weight";

    private static Arguments bad(String label, int code, Damage damage, String... fragments) {
        return Arguments.of(label, code, damage, fragments);
    }

    static Path st(Path model) { return model.resolve("model.safetensors"); }

    /** Edits one tensor entry of the header (the data section is kept as is). */
    static void editEntry(Path file, String tensor, java.util.function.Consumer<ObjectNode> edit) {
        ObjectNode h = (ObjectNode) JSON.readTree(Models.header(file));
        edit.accept((ObjectNode) h.get(tensor));
        Models.replaceHeader(file, JSON.writeValueAsString(h));
    }

    static long[] offsets(Path file, String tensor) {
        var n = JSON.readTree(Models.header(file)).get(tensor).get("data_offsets");
        return new long[] {n.get(0).asLong(), n.get(1).asLong()};
    }

    static void setOffsets(Path file, String tensor, long begin, long end) {
        editEntry(file, tensor, e -> e.putArray("data_offsets").add(begin).add(end));
    }

    static Stream<Arguments> damages() {
        return Stream.of(
                // safetensors files
                bad("truncated shard", 1, (d, b, f, c) -> {
                    byte[] all = Models.read(st(f));
                    Models.write(st(f), Arrays.copyOf(all, all.length / 2));
                    return c;
                }, "ft/model.safetensors"),
                bad("empty shard", 1, (d, b, f, c) -> {
                    Models.write(st(f), new byte[0]);
                    return c;
                }, "ft/model.safetensors", "file is 0 bytes"),
                bad("header length past the end of file", 1, (d, b, f, c) -> {
                    Models.setLengthField(st(f), Files.size(st(f)));
                    return c;
                }, "ft/model.safetensors", "header length"),
                bad("absurd header length", 1, (d, b, f, c) -> {
                    Models.setLengthField(st(f), Long.MAX_VALUE - 3);
                    return c;
                }, "ft/model.safetensors", "at most"),
                bad("header not JSON", 1, (d, b, f, c) -> {
                    Models.replaceHeader(st(f), "this is not json at all");
                    return c;
                }, "ft/model.safetensors", "not valid JSON"),
                bad("header not UTF-8", 1, (d, b, f, c) -> {
                    String h = Models.header(st(f));
                    byte[] bytes = h.getBytes(StandardCharsets.UTF_8);
                    bytes[h.indexOf(NORM) + 2] = (byte) 0xFF;
                    Models.replaceHeader(st(f), bytes);
                    return c;
                }, "ft/model.safetensors", "not valid UTF-8"),
                bad("negative offset", 1, (d, b, f, c) -> {
                    long[] o = offsets(st(f), NORM);
                    setOffsets(st(f), NORM, -4, o[1] - o[0] - 4);
                    return c;
                }, "ft/model.safetensors", NORM, "-4"),
                bad("overlapping offsets", 1, (d, b, f, c) -> {
                    long[] o = offsets(st(f), NORM);
                    setOffsets(st(f), NORM, o[0] - 4, o[1] - 4);
                    return c;
                }, "ft/model.safetensors", "overlap", "disjoint"),
                bad("offsets beyond the data", 1, (d, b, f, c) -> {
                    long[] o = offsets(st(f), "lm_head.weight");
                    setOffsets(st(f), "lm_head.weight", o[0] + 64, o[1] + 64);
                    return c;
                }, "ft/model.safetensors", "lm_head.weight", "past the data section"),
                bad("shape times dtype is not the byte count", 1, (d, b, f, c) -> {
                    editEntry(st(f), NORM, e -> e.putArray("shape").add(31));
                    return c;
                }, "ft/model.safetensors", NORM, "expected 124 bytes for F32 [31]"),
                bad("unknown dtype", 1, (d, b, f, c) -> {
                    editEntry(st(f), NORM, e -> e.put("dtype", "F4"));
                    return c;
                }, "ft/model.safetensors", NORM, "'F4'", "expected one of"),
                bad("duplicate tensor names", 1, (d, b, f, c) -> {
                    String h = Models.header(st(f)).stripTrailing();
                    String entry = JSON.writeValueAsString(JSON.readTree(h).get(NORM));
                    Models.replaceHeader(st(f), h.substring(0, h.length() - 1) + ",\"" + NORM + "\":" + entry + "}");
                    return c;
                }, "ft/model.safetensors", NORM, "appears twice"),
                // index files
                bad("index naming a missing shard", 1, (d, b, f, c) -> {
                    shardedIndex(f, "model-00002-of-00002.safetensors");
                    return c;
                }, "ft/model.safetensors.index.json", "names a missing file"),
                bad("index naming an absolute path", 1, (d, b, f, c) -> {
                    shardedIndex(f, st(b).toString());
                    return c;
                }, "ft/model.safetensors.index.json", "is not a relative path"),
                bad("index naming a file outside the model folder", 1, (d, b, f, c) -> {
                    shardedIndex(f, "../base/model.safetensors");
                    return c;
                }, "ft/model.safetensors.index.json", "leaves the model folder"),
                // config.json
                bad("config.json missing", 2, (d, b, f, c) -> {
                    Files.delete(f.resolve("config.json"));
                    return c;
                }, "config.json"),
                bad("config.json malformed", 2, (d, b, f, c) -> {
                    Models.writeString(f.resolve("config.json"), "{\"model_type\": \"llama\", ");
                    return c;
                }, "ft/config.json", "not valid JSON"),
                bad("config.json not UTF-8", 2, (d, b, f, c) -> {
                    Models.write(f.resolve("config.json"), new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', ':', '1', '}'});
                    return c;
                }, "ft/config.json", "not UTF-8"),
                bad("config.json of 64 MB", 2, (d, b, f, c) -> {
                    try (var raf = new java.io.RandomAccessFile(f.resolve("config.json").toFile(), "rw")) {
                        raf.setLength(64L << 20); // sparse: costs no disk
                    }
                    return c;
                }, "ft/config.json", "67108864 bytes", "at most 16 MB"),
                bad("config.json layer counts differ between models", 2, (d, b, f, c) -> {
                    claimLayers(f, 4);
                    return c;
                }, "merge.yml line 5", "has 4 layers but", "has 2"),
                bad("config.json claims more layers than the tensors have", 2, (d, b, f, c) -> {
                    claimLayers(b, 4);
                    claimLayers(f, 4);
                    return c;
                }, "/base", "lacks tensor 'model.layers.2.", "requires"),
                // model references
                bad("model folder missing", 2, (d, b, f, c) -> {
                    Files.move(f, d.resolve("elsewhere"));
                    return c;
                }, "ft"),
                // YAML
                bad("YAML syntax error", 2, (d, b, f, c) ->
                        Models.writeString(d.resolve("bad.yml"), "merge_method: linear\nmodels: [\n  - model: x\n"),
                        "bad.yml", "line"),
                bad("YAML wrong type", 2, (d, b, f, c) ->
                        Models.writeString(d.resolve("bad.yml"), Files.readString(c).replace("{weight: 0.6}",
                                "{weight: [high]}")),
                        "bad.yml", "weight"),
                bad("YAML models not a list", 2, (d, b, f, c) ->
                        Models.writeString(d.resolve("bad.yml"), "merge_method: linear\nmodels: 3\n"),
                        "bad.yml", "models"),
                bad("YAML alias bomb", 2, (d, b, f, c) -> {
                    StringBuilder y = new StringBuilder(Files.readString(c)).append("x0: &x0 [a, b]\n");
                    for (int i = 1; i < 40; i++) y.append("x").append(i).append(": &x").append(i)
                            .append(" [*x").append(i - 1).append(", *x").append(i - 1).append("]\n");
                    return Models.writeString(d.resolve("bad.yml"), y.toString());
                }, "bad.yml", "alias"),
                bad("YAML 100 MB", 2, (d, b, f, c) -> {
                    Path big = d.resolve("big.yml");
                    try (var out = Files.newBufferedWriter(big)) {
                        out.write(Files.readString(c));
                        String line = "# " + "x".repeat(1021) + "\n";
                        for (int i = 0; i < 100 * 1024; i++) out.write(line);
                    }
                    return big;
                }, "big.yml", "bytes", "limit"),
                bad("YAML not UTF-8", 2, (d, b, f, c) -> {
                    byte[] y = Files.readAllBytes(c);
                    byte[] bad = Arrays.copyOf(y, y.length + 8);
                    System.arraycopy(new byte[] {'#', ' ', (byte) 0xE9, 't', (byte) 0xE9, '\n', ' ', ' '}, 0, bad, y.length, 8);
                    return Models.write(d.resolve("bad.yml"), bad);
                }, "bad.yml", "UTF-8"),
                bad("YAML unknown method", 2, (d, b, f, c) ->
                        Models.writeString(d.resolve("bad.yml"), Files.readString(c).replace("linear", "lineer")),
                        "bad.yml", "lineer"));
    }

    static void claimLayers(Path model, int n) throws Exception {
        String cfg = Files.readString(model.resolve("config.json"));
        Models.writeString(model.resolve("config.json"), cfg.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": " + n));
    }

    /** Turns {@code model}'s single file into an index naming {@code second} for the last tensor. */
    static void shardedIndex(Path model, String second) throws Exception {
        var names = JSON.readTree(Models.header(st(model))).propertyNames();
        ObjectNode map = JSON.createObjectNode();
        String last = null;
        for (String n : names) {
            if (n.equals("__metadata__")) continue;
            map.put(n, "model.safetensors");
            last = n;
        }
        map.put(last, second);
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", Files.size(st(model)));
        index.set("weight_map", map);
        Models.writeString(model.resolve("model.safetensors.index.json"), JSON.writeValueAsString(index));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damages")
    void refusedWithOneLineAndNoOutput(String label, int code, Damage damage, String[] fragments) throws Exception {
        Path config = Models.linearSetup(dir, Models.TINY, 0);
        Path run = damage.plant(dir, dir.resolve("base"), dir.resolve("ft"), config);
        Map<String, Long> before = Models.checksums(dir);
        Path out = dir.resolve("out");
        Cli.Result r = Cli.merge(run, out);
        if (System.getProperty("jmerge.show") != null) System.out.println(label + " -> " + r.err().strip());
        Cli.assertRefused(r, code, out, fragments);
        assertThat(Models.checksums(dir)).as("nothing changed or added among the inputs").isEqualTo(before);
    }

    /** Tensors listed out of order, with unused bytes between them, are a valid file: same merge as before. */
    @Test
    void offsetsOutOfOrderWithGapsAreAcceptedAndReadCorrectly() throws Exception {
        Path config = Models.linearSetup(dir, Models.TINY, 0);
        Path expected = dir.resolve("expected");
        assertThat(Cli.merge(config, expected).code()).isZero();

        Path file = st(dir.resolve("ft"));
        ObjectNode h = (ObjectNode) JSON.readTree(Models.header(file));
        byte[] all = Models.read(file);
        long dataStart = all.length - dataSize(h);
        // New layout: tensors in reverse order, 8 unused bytes before each.
        ObjectNode reversed = JSON.createObjectNode();
        var names = new java.util.ArrayList<>(h.propertyNames());
        java.util.Collections.reverse(names);
        var data = new java.io.ByteArrayOutputStream();
        for (String n : names) {
            if (n.equals("__metadata__")) continue;
            ObjectNode e = (ObjectNode) h.get(n).deepCopy();
            long b = e.get("data_offsets").get(0).asLong(), en = e.get("data_offsets").get(1).asLong();
            data.write(new byte[8]);
            long nb = data.size();
            data.write(all, (int) (dataStart + b), (int) (en - b));
            e.putArray("data_offsets").add(nb).add(nb + en - b);
            reversed.set(n, e);
        }
        byte[] header = JSON.writeValueAsString(reversed).getBytes(StandardCharsets.UTF_8);
        var buf = java.nio.ByteBuffer.allocate(8 + header.length + data.size()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        Models.write(file, buf.putLong(header.length).put(header).put(data.toByteArray()).array());

        Path out = dir.resolve("out");
        assertThat(Cli.merge(config, out).code()).isZero();
        assertThat(Models.checksums(out)).isEqualTo(Models.checksums(expected));
    }

    private static long dataSize(ObjectNode h) {
        long max = 0;
        for (var e : h.properties()) {
            if (!e.getKey().equals("__metadata__")) max = Math.max(max, e.getValue().get("data_offsets").get(1).asLong());
        }
        return max;
    }

    /** config.json's vocab_size disagreeing with the embedding rows is worth a warning, not a refusal. */
    @Test
    void vocabSizeDisagreeingWithTheEmbeddingIsReported() throws Exception {
        Path config = Models.linearSetup(dir, Models.TINY, 0);
        Path cfg = dir.resolve("ft/config.json");
        Models.writeString(cfg, Files.readString(cfg).replace("\"vocab_size\": 256", "\"vocab_size\": 300"));
        Path out = dir.resolve("out");
        Cli.Result r = Cli.merge(config, out);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.errLines()).anySatisfy(l -> assertThat(l).startsWith("warning: ")
                .contains("ft", "vocab_size", "300", EMBED, "256"));
    }

    /** Inputs are mapped read-only: a merge changes no byte and no modification time of any input file. */
    @Test
    void aMergeLeavesItsInputsUnchanged() throws Exception {
        Path config = Models.linearSetup(dir, Models.TINY, 40_000);
        Map<String, Long> sums = Models.checksums(dir);
        Map<String, java.nio.file.attribute.FileTime> times = new java.util.TreeMap<>();
        try (var s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) times.put(p.toString(), Files.getLastModifiedTime(p));
        }
        Path out = dir.resolve("out");
        assertThat(Cli.merge(config, out).code()).isZero();
        Map<String, Long> after = new java.util.TreeMap<>(Models.checksums(dir));
        after.keySet().removeIf(k -> k.startsWith("out/"));
        assertThat(after).isEqualTo(sums);
        for (var e : times.entrySet()) assertThat(Files.getLastModifiedTime(Path.of(e.getKey()))).isEqualTo(e.getValue());
    }
}

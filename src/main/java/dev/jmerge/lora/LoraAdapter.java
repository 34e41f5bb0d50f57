package dev.jmerge.lora;

import dev.jmerge.tensor.Shape;
import dev.jmerge.error.ConfigException;
import dev.jmerge.error.MergeException;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.io.WeightFile;
import dev.jmerge.io.WeightFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A PEFT LoRA adapter folder ({@code adapter_config.json} + {@code adapter_model.safetensors} or {@code .bin}),
 * turned into per-tensor {@link LoraPatch}es for a base model. Scaling, rank_pattern/alpha_pattern, rsLoRA,
 * fan_in_fan_out, embedding adapters and modules_to_save follow PEFT's conventions.
 */
public final class LoraAdapter implements AutoCloseable {

    private static final String PREFIX = "base_model.model.";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path folder;
    private final WeightFile file;
    private final int defaultRank;
    private final double defaultAlpha;
    private final boolean rslora;
    private final boolean fanInFanOut;
    private final Map<String, Integer> rankPattern;
    private final Map<String, Double> alphaPattern;
    private final Map<String, TensorInfo[]> lowRank = new HashMap<>();   // target tensor -> {A, B}
    private final Map<String, Boolean> embedding = new HashMap<>();
    private final Map<String, TensorInfo> biases = new LinkedHashMap<>();   // target bias -> lora_B.bias
    private final Map<String, TensorInfo> replaced = new LinkedHashMap<>();

    private LoraAdapter(Path folder, WeightFile file, JsonNode cfg) {
        this.folder = folder;
        this.file = file;
        this.defaultRank = cfg.path("r").asInt(8);
        this.defaultAlpha = cfg.path("lora_alpha").asDouble(8);
        this.rslora = cfg.path("use_rslora").asBoolean(false);
        this.fanInFanOut = cfg.path("fan_in_fan_out").asBoolean(false);
        this.rankPattern = new LinkedHashMap<>();
        cfg.path("rank_pattern").properties().forEach(e -> rankPattern.put(e.getKey(), e.getValue().asInt()));
        this.alphaPattern = new LinkedHashMap<>();
        cfg.path("alpha_pattern").properties().forEach(e -> alphaPattern.put(e.getKey(), e.getValue().asDouble()));
        classify();
    }

    public static LoraAdapter open(Path folder) {
        Path cfgFile = folder.resolve("adapter_config.json");
        if (!Files.isRegularFile(cfgFile)) {
            throw new ConfigException(folder + ": not a LoRA adapter folder; expected adapter_config.json");
        }
        JsonNode cfg;
        try {
            cfg = JSON.readTree(Files.readString(cfgFile));
        } catch (JacksonException e) {
            throw new ConfigException(cfgFile + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new ConfigException(cfgFile + ": cannot read (" + e.getMessage() + ")");
        }
        String type = cfg.path("peft_type").asString("LORA");
        if (!type.equalsIgnoreCase("LORA")) {
            throw new ConfigException(cfgFile + ": peft_type '" + type + "' is not supported; expected LORA");
        }
        if (cfg.path("use_dora").asBoolean(false)) {
            throw new ConfigException(cfgFile + ": DoRA adapters (use_dora) are not supported; expected plain LoRA");
        }
        Path st = folder.resolve("adapter_model.safetensors");
        Path bin = folder.resolve("adapter_model.bin");
        WeightFile file = Files.exists(st) ? WeightFormat.openFile(st)
                : Files.exists(bin) ? WeightFormat.openFile(bin) : null;
        if (file == null) {
            throw new ConfigException(folder + ": LoRA adapter has no weights; expected adapter_model.safetensors"
                    + " or adapter_model.bin");
        }
        try {
            return new LoraAdapter(folder, file, cfg);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public Path folder() { return folder; }

    /** The adapter's weight file. */
    Path file() { return file.path(); }

    private void classify() {
        for (TensorInfo t : file.tensors().values()) {
            String key = t.name().startsWith(PREFIX) ? t.name().substring(PREFIX.length()) : t.name();
            if (key.contains("lora_magnitude_vector")) {
                throw new ConfigException(file.path() + ": tensor '" + t.name() + "' is a DoRA magnitude; only plain"
                        + " LoRA adapters are supported");
            }
            int slot = -1;
            String module = null;
            boolean emb = false;
            for (String[] form : new String[][] {{".lora_A.weight", "0"}, {".lora_B.weight", "1"},
                    {".lora_embedding_A", "0e"}, {".lora_embedding_B", "1e"}}) {
                if (key.endsWith(form[0])) {
                    module = key.substring(0, key.length() - form[0].length());
                    slot = form[1].charAt(0) - '0';
                    emb = form[1].length() > 1;
                }
            }
            if (module == null && key.endsWith(".lora_B.bias")) {
                biases.put(key.substring(0, key.length() - ".lora_B.bias".length()) + ".bias", t);
                continue;
            }
            if (module == null) {
                if (key.contains(".lora_")) {
                    throw new ConfigException(file.path() + ": tensor '" + t.name() + "' is not a LoRA A/B matrix"
                            + " or lora_B bias jmerge understands (other variants are not supported)");
                }
                replaced.put(key, t); // modules_to_save: the saved module's full weight
                continue;
            }
            String target = module + ".weight";
            lowRank.computeIfAbsent(target, x -> new TensorInfo[2])[slot] = t;
            embedding.put(target, emb);
        }
        for (var e : lowRank.entrySet()) {
            if (e.getValue()[0] == null || e.getValue()[1] == null) {
                throw new ConfigException(file.path() + ": module '" + e.getKey() + "' has only one of lora_A and lora_B");
            }
        }
        for (String bias : biases.keySet()) {
            String weight = bias.substring(0, bias.length() - ".bias".length()) + ".weight";
            if (!lowRank.containsKey(weight)) {
                throw new ConfigException(file.path() + ": tensor '" + biases.get(bias).name() + "' is a lora_B bias"
                        + " of a module without lora_A and lora_B");
            }
        }
    }

    /** Base tensors this adapter touches. */
    public java.util.Set<String> targets() {
        var s = new java.util.LinkedHashSet<String>(lowRank.keySet());
        s.addAll(biases.keySet());
        s.addAll(replaced.keySet());
        return s;
    }

    /** The patch for base tensor {@code name} (shape checked against {@code base}), or null when untouched. */
    LoraPatch patch(String name, TensorInfo base) {
        TensorInfo rep = replaced.get(name);
        if (rep != null) {
            if (!rep.shape().equals(base.shape())) {
                throw new MergeException(file.path() + ": modules_to_save tensor '" + rep.name() + "' has shape "
                        + rep.shape() + " but the base model's '" + name + "' has " + base.shape());
            }
            return new LoraPatch.Replace(rep, file.segment(rep));
        }
        TensorInfo bias = biases.get(name);
        if (bias != null) return patchBias(name, bias, base);
        TensorInfo[] ab = lowRank.get(name);
        if (ab == null) return null;
        String module = name.substring(0, name.length() - ".weight".length());
        int rank = (int) pattern(rankPattern, module, defaultRank);
        double alpha = pattern(alphaPattern, module, defaultAlpha);
        boolean transposed = embedding.get(name) || fanInFanOut;
        Shape w = base.shape();
        if (w.rank() != 2) throw bad(name, "base tensor is not a matrix " + w);
        long rows = w.dim(0), cols = w.dim(1);
        Shape a = ab[0].shape(), b = ab[1].shape();
        Shape wantA = Shape.of(rank, transposed ? rows : cols);
        Shape wantB = Shape.of(transposed ? cols : rows, rank);
        if (!a.equals(wantA) || !b.equals(wantB)) {
            throw bad(name, "A " + a + " and B " + b + " do not fit base " + w + " with rank " + rank + "; expected A "
                    + wantA + " and B " + wantB);
        }
        if (rank == 0) return null; // a module whose every singular value was dropped (extract-lora --sv-epsilon)
        double scale = scale(rank, alpha);
        return new LoraPatch.LowRank(ab[0], file.segment(ab[0]), ab[1], file.segment(ab[1]), rank, scale,
                transposed, rows, cols);
    }

    private double scale(int rank, double alpha) {
        return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** {@code lora_B.bias}: scaled like its module's low-rank term; nothing for a module of rank 0. */
    private LoraPatch patchBias(String name, TensorInfo bias, TensorInfo base) {
        if (!bias.shape().equals(base.shape())) {
            throw bad(name, "lora_B bias " + bias.shape() + " does not fit base bias " + base.shape());
        }
        String module = name.substring(0, name.length() - ".bias".length());
        int rank = (int) pattern(rankPattern, module, defaultRank);
        if (rank == 0) return null;
        return new LoraPatch.Bias(bias, file.segment(bias), scale(rank, pattern(alphaPattern, module, defaultAlpha)));
    }

    /** PEFT's rule: the first pattern key that is the module name or a dotted suffix of it. */
    static double pattern(Map<String, ? extends Number> patterns, String module, double fallback) {
        for (var e : patterns.entrySet()) {
            if (Pattern.compile("(.*\\.)?(" + e.getKey() + ")").matcher(module).matches()) return e.getValue().doubleValue();
        }
        return fallback;
    }

    private MergeException bad(String name, String what) {
        return new MergeException(file.path() + ": LoRA for '" + name + "': " + what);
    }

    @Override
    public void close() { file.close(); }
}

package dev.jmerge.plan;

import dev.jmerge.arch.ArchitectureSpec;
import dev.jmerge.config.MergeConfig;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.methods.MergeMethod;
import dev.jmerge.tokenizer.TokenizerPlan;
import java.util.List;
import java.util.Map;

/**
 * A merge, fully decided before any tensor data is read: every output tensor with its inputs, method and
 * resolved parameters, the shards they go to, and what config.json must say.
 *
 * @param donor the model whose config.json and tokenizer the output starts from (base, else first)
 * @param outputLayers layer count to write to config.json, or -1 to keep the donor's (models: configs)
 * @param diagnostics what the config and the planning found that does not stop the merge: the config's unknown
 *                    keys, parameters the method does not read, filters that match no tensor, vocabulary cuts, ...
 * @param tokenizer the merged vocabulary and chat template, when the config asks for them
 * @param layerCounts dotted config.json key → layer count to write there (one per module planned from slices)
 * @param tagalongFiles donor files copied unchanged when present (multi-module architectures' extras)
 */
public record Plan(MergeConfig config, MergeMethod method, List<LoadedModel> models, ArchitectureSpec arch,
                   List<PlannedTensor> tensors, ShardLayout shards, LoadedModel donor, int outputLayers,
                   List<Diagnostic> diagnostics, TokenizerPlan tokenizer, Map<String, Integer> layerCounts,
                   List<String> tagalongFiles) {

    public Plan {
        diagnostics = List.copyOf(diagnostics);
        layerCounts = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(layerCounts));
        tagalongFiles = List.copyOf(tagalongFiles);
    }

    /** A single-module plan: the layer count, when known, goes to the architecture's own key. */
    public Plan(MergeConfig config, MergeMethod method, List<LoadedModel> models, ArchitectureSpec arch,
                List<PlannedTensor> tensors, ShardLayout shards, LoadedModel donor, int outputLayers,
                List<Diagnostic> diagnostics, TokenizerPlan tokenizer) {
        this(config, method, models, arch, tensors, shards, donor, outputLayers, diagnostics, tokenizer,
                outputLayers >= 0 && arch.numLayersKey() != null ? Map.of(arch.numLayersKey(), outputLayers) : Map.of(),
                List.of());
    }

    /** The same plan with {@code more} diagnostics after its own. */
    public Plan withDiagnostics(List<Diagnostic> more) {
        List<Diagnostic> all = new java.util.ArrayList<>(diagnostics);
        all.addAll(more);
        return new Plan(config, method, models, arch, tensors, shards, donor, outputLayers, all, tokenizer, layerCounts,
                tagalongFiles);
    }

    public long bytesWritten() { return shards.totalBytes(); }

    /** The planned tensor of that output name. */
    public PlannedTensor tensor(String name) {
        for (PlannedTensor t : tensors) if (t.name().equals(name)) return t;
        throw new IllegalArgumentException("no planned tensor " + name);
    }

    /** Bytes of tensor data the merge reads (each input tensor once per output tensor that uses it). */
    public long bytesRead() {
        long b = 0;
        for (PlannedTensor t : tensors) {
            for (PlannedInput in : t.inputs()) b += in.info().byteSize();
        }
        return b;
    }
}

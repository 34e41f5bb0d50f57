package dev.jmerge.moe;

import dev.jmerge.config.MoeConfig;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.tensor.DType;
import java.util.List;
import java.util.Map;

/**
 * A MoE build, fully decided before any tensor data is read: the output architecture (and why the others were
 * not taken), every output tensor with its sources, the shards, config.json and the gate rows to compute.
 *
 * @param refusals     architectures considered and not taken, with the reason
 * @param models       every model read, once each, the base first
 * @param gateExperts  the experts that get a gate row, in row order: the routed ones, then the shared one when
 *                     it has prompts or the gates are random (as mergekit draws them)
 * @param dtype        the output dtype: the config's, else the base model's
 * @param configJson   the output config.json, as written
 * @param warnings     what the user should know that does not stop the build
 */
public record MoePlan(MoeConfig config, OutputArchitecture arch, Map<OutputArchitecture, String> refusals,
                      List<LoadedModel> models, LoadedModel base, List<MoeConfig.Expert> gateExperts, int layers,
                      int hidden, DType dtype, List<MoeTensor> tensors, ShardLayout shards, String configJson,
                      List<String> warnings) implements AutoCloseable {

    public MoePlan {
        refusals = Map.copyOf(refusals);
        models = List.copyOf(models);
        gateExperts = List.copyOf(gateExperts);
        tensors = List.copyOf(tensors);
        warnings = List.copyOf(warnings);
    }

    /** Whether the seed decides the output: random gates or noise on some expert. */
    public boolean stochastic() {
        if (config.gateMode().isRandom()) return true;
        for (MoeConfig.Expert e : config.experts()) if (e.noiseScale() != null) return true;
        for (MoeConfig.Expert e : config.shared()) if (e.noiseScale() != null) return true;
        return false;
    }

    /** Bytes of tensor data read from the inputs. */
    public long bytesRead() {
        long b = 0;
        for (MoeTensor t : tensors) {
            if (t.source() instanceof MoeTensor.Pieces p) {
                for (MoeTensor.Piece piece : p.pieces()) b += piece.numel() * piece.dtype().byteSize();
            }
        }
        return b;
    }

    public long bytesWritten() { return shards.totalBytes(); }

    public MoeTensor tensor(String name) {
        for (MoeTensor t : tensors) if (t.name().equals(name)) return t;
        throw new IllegalArgumentException("no planned tensor " + name);
    }

    /** Unmaps every model. */
    @Override
    public void close() {
        models.forEach(LoadedModel::close);
    }
}

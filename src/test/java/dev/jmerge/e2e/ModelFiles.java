package dev.jmerge.e2e;

import dev.jmerge.io.ModelWeights;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.kernels.ScalarKernels;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads a whole (small) model folder into float arrays, for end-to-end comparisons. */
public final class ModelFiles {

    public record Tensor(TensorInfo info, float[] values) {}

    private ModelFiles() {}

    public static Map<String, Tensor> read(Path folder) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (ModelWeights w = ModelWeights.open(folder)) {
            for (String name : w.names()) {
                TensorInfo info = w.info(name);
                float[] v = new float[Math.toIntExact(info.numel())];
                new ScalarKernels().toFloat(w.segment(name), 0, info.dtype(), v, 0, v.length);
                out.put(name, new Tensor(info, v));
            }
        }
        return out;
    }
}

package dev.jmerge.forward;

import dev.jmerge.error.ConfigException;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/**
 * Rotary position embedding frequencies as transformers computes them from {@code rope_theta} and
 * {@code rope_scaling} (or the newer {@code rope_parameters}): types {@code default}, {@code linear},
 * {@code dynamic} (NTK-aware, grows with the sequence past the trained length), {@code llama3} and
 * {@code yarn}. Computed in float64 (transformers uses float32 here; the difference is below the fixtures'
 * tolerance for the sequence lengths they use).
 *
 * @param attentionFactor yarn's scale of cos and sin (1 for the others)
 */
public record RopeScaling(String type, double theta, int dim, double factor, int originalMax, double lowFreqFactor,
                          double highFreqFactor, double betaFast, double betaSlow, boolean truncate,
                          double attentionFactor) {

    static RopeScaling parse(Path file, JsonNode c, int headDim, int maxPositions) {
        JsonNode s = c.get("rope_parameters");
        if (s == null || !s.isObject()) s = c.get("rope_scaling");
        double theta = s != null && s.hasNonNull("rope_theta") ? s.get("rope_theta").asDouble()
                : c.path("rope_theta").asDouble(10000.0);
        if (!(theta > 1)) throw new ConfigException(file + ": rope_theta must be greater than 1, got " + theta);
        if (headDim % 2 != 0) throw new ConfigException(file + ": head_dim " + headDim + " must be even for rotary embeddings");
        if (s == null || s.isNull()) return plain(theta, headDim);
        if (!s.isObject()) throw new ConfigException(file + ": rope_scaling must be an object or null");
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asString() : s.path("type").asString("default");
        if (type.equals("default")) return plain(theta, headDim);
        double factor = number(file, s, "factor", Double.NaN);
        if (!(factor > 0)) throw new ConfigException(file + ": rope_scaling.factor must be a positive number for type '" + type + "'");
        int orig = s.hasNonNull("original_max_position_embeddings")
                ? (int) number(file, s, "original_max_position_embeddings", maxPositions) : maxPositions;
        return switch (type) {
            case "linear", "dynamic" -> new RopeScaling(type, theta, headDim, factor, orig, 0, 0, 0, 0, false, 1);
            case "llama3" -> {
                double low = number(file, s, "low_freq_factor", Double.NaN), high = number(file, s, "high_freq_factor", Double.NaN);
                if (!s.hasNonNull("original_max_position_embeddings") || !(high > low)) {
                    throw new ConfigException(file + ": rope_scaling of type llama3 needs original_max_position_embeddings"
                            + " and high_freq_factor > low_freq_factor");
                }
                yield new RopeScaling(type, theta, headDim, factor, orig, low, high, 0, 0, false, 1);
            }
            case "yarn" -> {
                double attention = s.hasNonNull("attention_factor") ? number(file, s, "attention_factor", 1) : Double.NaN;
                if (Double.isNaN(attention)) {
                    double mscale = number(file, s, "mscale", 0), all = number(file, s, "mscale_all_dim", 0);
                    attention = mscale != 0 && all != 0 ? yarnMscale(factor, mscale) / yarnMscale(factor, all)
                            : yarnMscale(factor, 1);
                }
                yield new RopeScaling(type, theta, headDim, factor, orig, 0, 0,
                        number(file, s, "beta_fast", 32), number(file, s, "beta_slow", 1),
                        s.path("truncate").asBoolean(true), attention);
            }
            default -> throw new ConfigException(file + ": rope_scaling type '" + type
                    + "' is not supported (default, linear, dynamic, llama3 and yarn are)");
        };
    }

    static RopeScaling plain(double theta, int dim) {
        return new RopeScaling("default", theta, dim, 1, 0, 0, 0, 0, 0, false, 1);
    }

    private static double yarnMscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    private static double number(Path file, JsonNode s, String key, double fallback) {
        JsonNode n = s.get(key);
        if (n == null || n.isNull()) return fallback;
        if (!n.isNumber()) throw new ConfigException(file + ": rope_scaling." + key + " must be a number, got " + n);
        return n.asDouble();
    }

    /** Inverse frequencies ({@code dim/2} of them) for a forward pass over {@code seqLen} positions. */
    public double[] inverseFrequencies(int seqLen) {
        int half = dim / 2;
        double[] inv = new double[half];
        double base = theta;
        if (type.equals("dynamic") && seqLen > originalMax) {
            base = theta * Math.pow(factor * seqLen / originalMax - (factor - 1), dim / (dim - 2.0));
        }
        for (int i = 0; i < half; i++) inv[i] = 1.0 / Math.pow(base, 2.0 * i / dim);
        switch (type) {
            case "linear" -> { for (int i = 0; i < half; i++) inv[i] /= factor; }
            case "llama3" -> llama3(inv);
            case "yarn" -> yarn(inv);
            default -> { }
        }
        return inv;
    }

    /** Long wavelengths divided by the factor, short ones kept, a smooth blend in between. */
    private void llama3(double[] inv) {
        double lowWavelen = originalMax / lowFreqFactor, highWavelen = originalMax / highFreqFactor;
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowWavelen) {
                inv[i] /= factor;
            } else if (wavelen >= highWavelen) {
                double smooth = (originalMax / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
            }
        }
    }

    /** Interpolated (divided by the factor) below the correction range, extrapolated above, a linear ramp between. */
    private void yarn(double[] inv) {
        double low = correctionDim(betaFast), high = correctionDim(betaSlow);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) high += 0.001;
        for (int i = 0; i < inv.length; i++) {
            double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
            double extrapolation = 1 - ramp;
            inv[i] = inv[i] / factor * (1 - extrapolation) + inv[i] * extrapolation;
        }
    }

    private double correctionDim(double rotations) {
        return dim * Math.log(originalMax / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }
}

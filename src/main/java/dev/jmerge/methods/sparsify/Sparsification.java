package dev.jmerge.methods.sparsify;

import dev.jmerge.error.ConfigException;
import dev.jmerge.error.MergeException;
import dev.jmerge.methods.MergeInput;
import dev.jmerge.methods.Params;
import dev.jmerge.methods.random.CounterRng;
import java.util.Arrays;

/**
 * mergekit's sparsifiers ({@code mergekit/sparsify.py}) as streamed mask builders. Each reads the model's
 * {@code density} (and {@code gamma} or {@code epsilon}); a density of 1 or more leaves the task vector
 * untouched, without rescaling, as mergekit does.
 */
public enum Sparsification {
    /** TIES trim: the {@code floor(density·n)} largest magnitudes, equal ones as torch's argsort orders them. */
    MAGNITUDE,
    /** DARE: Bernoulli(density) per element. */
    RANDOM,
    /** Breadcrumbs: drop the smallest and a {@code gamma} share of the largest magnitudes. */
    MAGNITUDE_OUTLIERS,
    /** DELLA: Bernoulli with a keep probability rising with the magnitude rank inside each row. */
    DELLA_MAGPRUNE;

    public static final double DEFAULT_GAMMA = 0.01;
    public static final double DEFAULT_EPSILON = 0.15;

    /** Bytes one model's mask may remember between passes for a tensor of {@code numel} elements (with rescale). */
    public static long memoBytes(long numel) { return L1Rescale.memoBytes(numel); }

    /** Whether masks need tiles of whole rows (see {@code Tiles.forEachRows}). */
    public boolean rowWise() { return this == DELLA_MAGPRUNE; }

    /**
     * The mask builder for input {@code model} of {@code in}, or null when the task vector stays as it is.
     *
     * @param rescale apply the L1 rescale after masking
     * @param scratch a tile-sized buffer the rescale pass may overwrite
     * @param ties the slot array the magnitude selections of this merge call share
     * @param warnings collects per-tensor warnings about mergekit quirks that changed the numbers
     */
    public MaskBuilder builder(MergeInput in, int model, boolean rescale, float[] scratch, TieScratch ties,
                               OnceWarner warnings) {
        Params p = in.model(model);
        double density = p.get("density", 1.0);
        if (density >= 1) return null;
        long n = in.numel();
        String where = "tensor '" + in.tensorName() + "', input " + model;
        MaskBuilder b = switch (this) {
            case MAGNITUDE -> {
                long k = (long) (density * n);
                if (k <= 0) {
                    throw new MergeException(where + ": density " + density + " keeps no element of " + n
                            + " (floor(density·numel) must be at least 1 for magnitude sparsification)");
                }
                // argsort(|δ|, descending)[:k]; which of equal zeros are kept changes no output
                yield TorchSelection.sort(n, true, 0, k, false, ties);
            }
            case RANDOM -> {
                if (density < 0) throw new ConfigException(where + ": density must be in [0, 1], got " + density);
                yield MaskBuilder.ready(new RandomMask(CounterRng.key(in.seed(), in.tensorName(), model), density));
            }
            case MAGNITUDE_OUTLIERS -> outliers(n, density, p.get("gamma", DEFAULT_GAMMA), where, ties, warnings);
            case DELLA_MAGPRUNE -> {
                if (density <= 0) yield MaskBuilder.ready((offset, delta, len) -> Arrays.fill(delta, 0, len, 0f));
                double eps = p.get("epsilon", DEFAULT_EPSILON);
                if (!(density - eps > 0) || !(density + eps < 1)) {
                    throw new ConfigException(where + ": della needs 0 < density − epsilon and density + epsilon < 1,"
                            + " got density " + density + " and epsilon " + eps);
                }
                DellaMask m = new DellaMask(in.shape(), CounterRng.key(in.seed(), in.tensorName(), model), density, eps);
                if (m.hasSingletonGroups() && n > 0) {
                    warnings.warn("della-singleton", "della ranks rows of length 1"
                            + ": they keep with probability density (mergekit fails there with a 0/0 rank)");
                }
                yield MaskBuilder.ready(m);
            }
        };
        return rescale ? new L1Rescale(b, scratch, in.kernels(), n) : b;
    }

    private static MaskBuilder outliers(long n, double density, double gamma, String where, TieScratch ties,
                                        OnceWarner warnings) {
        if (gamma < 0) throw new ConfigException(where + ": gamma must be at least 0, got " + gamma);
        long keep = (long) (density * n);
        long top = (long) (gamma * n);
        long bot = n - keep - top;
        if (bot < 0) {
            top += bot;
            bot = 0;
        }
        TileMask none = (offset, delta, len) -> Arrays.fill(delta, 0, len, 0f);
        if (top == 0) {
            warnings.warn("breadcrumbs-top0", "breadcrumbs removes no outliers"
                    + " (floor(gamma·numel) = 0), and like mergekit (slice [bot:-0]) it then keeps nothing:"
                    + " this tensor's task vector is dropped");
            return MaskBuilder.ready(none);
        }
        long upper = n - top;
        if (bot >= upper) return MaskBuilder.ready(none);
        // sort(|δ|).indices[bot:-top]
        return TorchSelection.sort(n, false, bot, upper, false, ties);
    }
}

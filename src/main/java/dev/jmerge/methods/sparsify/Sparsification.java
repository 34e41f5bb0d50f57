package dev.jmerge.methods.sparsify;

import dev.jmerge.methods.MergeInput;
import dev.jmerge.methods.MergeMethod;
import dev.jmerge.methods.ParamSpec;
import dev.jmerge.methods.Params;
import dev.jmerge.methods.random.CounterRng;
import java.util.Arrays;
import java.util.List;

/**
 * mergekit's sparsifiers ({@code mergekit/sparsify.py}) as streamed mask builders. Each reads the model's
 * {@code density} (and {@code gamma} or {@code epsilon}); a density of 1 or more leaves the task vector
 * untouched, without rescaling, as mergekit does. Values mergekit refuses are refused by {@link #check} when the
 * merge is planned, so the builders meet only values they can use.
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

    public static final ParamSpec DENSITY = ParamSpec.withDefault("density", 1.0,
            "share of the task vector kept by the sparsifier");
    public static final ParamSpec GAMMA = ParamSpec.withDefault("gamma", 0.01, "share of largest magnitudes removed");
    public static final ParamSpec EPSILON = ParamSpec.withDefault("epsilon", 0.15, "spread of keep probabilities");

    /** The per-model parameters the sparsifier reads besides {@link #DENSITY}. */
    public List<ParamSpec> parameters() {
        return switch (this) {
            case MAGNITUDE_OUTLIERS -> List.of(GAMMA);
            case DELLA_MAGPRUNE -> List.of(EPSILON);
            default -> List.of();
        };
    }

    /**
     * Why input {@code input}'s values {@code p} cannot sparsify its task vector of {@code numel} elements, or null.
     * These are mergekit's own refusals (an assertion in {@code magnitude}, torch's range check in {@code bernoulli},
     * the ValueError of {@code della_magprune}), plus a negative {@code gamma}, whose slice mergekit would misread.
     */
    public MergeMethod.Invalid check(Params p, long numel, int input) {
        double density = p.get(DENSITY);
        if (density >= 1) return null;
        return switch (this) {
            case MAGNITUDE -> (long) (density * numel) > 0 ? null : new MergeMethod.Invalid(DENSITY, input,
                    "density " + density + " keeps no element of its " + numel + " (the sparsifier keeps floor(density"
                            + " × elements), which must be at least 1; mergekit stops there too)");
            case RANDOM -> density >= 0 ? null : new MergeMethod.Invalid(DENSITY, input,
                    "density " + density + " is not a keep probability; it must be at least 0");
            case MAGNITUDE_OUTLIERS -> p.get(GAMMA) >= 0 ? null : new MergeMethod.Invalid(GAMMA, input,
                    "gamma " + p.get(GAMMA) + " is not a share of elements; it must be at least 0");
            case DELLA_MAGPRUNE -> {
                double eps = p.get(EPSILON);
                if (density <= 0 || (density - eps > 0 && density + eps < 1)) yield null;
                yield new MergeMethod.Invalid(EPSILON, input, "density " + density + " ± epsilon " + eps
                        + " leaves (0, 1): della keeps each element with a probability from density − epsilon to"
                        + " density + epsilon, which must lie strictly between 0 and 1");
            }
        };
    }

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
        double density = p.get(DENSITY);
        if (density >= 1) return null;
        long n = in.numel();
        MaskBuilder b = switch (this) {
            // argsort(|δ|, descending)[:k]; which of equal zeros are kept changes no output
            case MAGNITUDE -> TorchSelection.sort(n, true, 0, (long) (density * n), false, ties);
            case RANDOM -> MaskBuilder.ready(new RandomMask(CounterRng.key(in.seed(), in.tensorName(), model), density, in.kernels()));
            case MAGNITUDE_OUTLIERS -> outliers(n, density, p.get(GAMMA), ties, warnings);
            case DELLA_MAGPRUNE -> {
                if (density <= 0) yield MaskBuilder.ready((offset, delta, len) -> Arrays.fill(delta, 0, len, 0f));
                double eps = p.get(EPSILON);
                DellaMask m = new DellaMask(in.shape(), CounterRng.key(in.seed(), in.tensorName(), model), density, eps,
                        in.kernels());
                if (m.hasSingletonGroups() && n > 0) {
                    warnings.warn("della-singleton", "della ranks rows of length 1"
                            + ": they keep with probability density (mergekit fails there with a 0/0 rank)");
                }
                yield MaskBuilder.ready(m);
            }
        };
        return rescale ? new L1Rescale(b, scratch, in.kernels(), n, model) : b;
    }

    private static MaskBuilder outliers(long n, double density, double gamma, TieScratch ties, OnceWarner warnings) {
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

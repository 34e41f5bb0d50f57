package dev.jmerge.extract;

import dev.jmerge.linalg.TruncatedSvd;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What {@code jmerge extract-lora} was asked for (mergekit-extract-lora's flags, compat §5.4).
 *
 * @param maxRank            rank of every decomposed module, fewer where the matrix is smaller
 * @param distributeScale    split the singular values as √S between A and B (else all into A)
 * @param embedLora          decompose embeddings and the output head too, instead of saving them whole
 * @param saveModules        module names (full or last component) saved at full rank
 * @param include            when given, only modules some of them match are decomposed
 * @param exclude            modules any of them match are neither decomposed nor saved
 * @param svEpsilon          singular values at or below it are dropped (0: keep up to the rank)
 * @param skipUndecomposable modules that are not matrices (norms) are dropped instead of saved whole
 * @param svd                exact or randomized decomposition, and the sketch's seed
 * @param threads            modules decomposed at once (fewer when the memory budget says so)
 * @param memoryBudget       bytes the run may hold
 */
public record ExtractOptions(int maxRank, boolean distributeScale, boolean embedLora, List<String> saveModules,
                             List<Pattern> include, List<Pattern> exclude, double svEpsilon,
                             boolean skipUndecomposable, TruncatedSvd.Options svd, int threads, long memoryBudget) {

    public static final int DEFAULT_MAX_RANK = 128;

    public ExtractOptions {
        saveModules = List.copyOf(saveModules);
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
        if (maxRank < 1) throw new IllegalArgumentException("--max-rank must be at least 1, got " + maxRank);
        if (!(svEpsilon >= 0)) throw new IllegalArgumentException("--sv-epsilon must be 0 or more, got " + svEpsilon);
    }

    /** mergekit's re.search over the module name. */
    boolean included(String module) {
        return include.isEmpty() || include.stream().anyMatch(p -> p.matcher(module).find());
    }

    boolean excluded(String module) {
        return exclude.stream().anyMatch(p -> p.matcher(module).find());
    }
}

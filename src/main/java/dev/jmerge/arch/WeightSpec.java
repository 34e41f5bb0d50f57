package dev.jmerge.arch;

import dev.jmerge.tensor.DType;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * One tensor an architecture expects.
 *
 * @param name       the name written to the output (may hold template variables until substituted)
 * @param isEmbed    indexed by vocabulary (input embedding or output head): merged rows must be aligned to a vocab
 * @param optional   a model may lack it; when no model has it, it is not written at all
 * @param aliases    other names the same tensor is stored under in some checkpoints
 * @param tiedNames  tensors that stand in when this one is absent (an untied head falls back to the embedding)
 * @param forceDtype the dtype this tensor is always read and written in (position ids are int64), or null
 */
public record WeightSpec(String name, boolean isEmbed, boolean optional, List<String> aliases,
                         List<String> tiedNames, DType forceDtype) {

    public WeightSpec {
        Objects.requireNonNull(name, "name");
        aliases = List.copyOf(aliases);
        tiedNames = List.copyOf(tiedNames);
    }

    /** A required, non-embedding weight with no alternative names. */
    public static WeightSpec plain(String name) {
        return new WeightSpec(name, false, false, List.of(), List.of(), null);
    }

    /**
     * The name to read from a model holding {@code available}: the name itself, else the first alias present,
     * else the first tied name present (the order mergekit's loader tries them in).
     */
    public Optional<String> resolve(Set<String> available) {
        if (available.contains(name)) return Optional.of(name);
        for (String alias : aliases) {
            if (available.contains(alias)) return Optional.of(alias);
        }
        for (String tied : tiedNames) {
            if (available.contains(tied)) return Optional.of(tied);
        }
        return Optional.empty();
    }

    /** True when the model holds this tensor under its own name or an alias; tied stand-ins do not count. */
    public boolean presentIn(Set<String> available) {
        return available.contains(name) || aliases.stream().anyMatch(available::contains);
    }

    WeightSpec mapNames(UnaryOperator<String> f) {
        return new WeightSpec(f.apply(name), isEmbed, optional,
                aliases.stream().map(f).toList(), tiedNames.stream().map(f).toList(), forceDtype);
    }
}

package dev.jmerge.moe;

import dev.jmerge.config.MoeConfig;
import dev.jmerge.error.ConfigException;
import java.util.List;
import java.util.Objects;

/**
 * mergekit-moe's checks of a config before any model is read (compat §5.3), in its order, each a
 * {@link ConfigException} naming the YAML line: at least one expert per token, as many experts as experts per
 * token; unless the gates are {@code random}, prompts for every expert, prompts that tell the experts apart, and
 * not one model for every expert (unless the user says it is for training).
 */
public final class MoeRules {

    /** The flag that lets every expert be the same model. */
    public static final String ALLOW_SAME_FLAG = "--i-understand-this-is-not-useful-without-training";

    private MoeRules() {}

    public static void check(MoeConfig c, boolean allowIdenticalExperts) {
        if (c.expertsPerToken() < 1) {
            throw new ConfigException(c.expertsPerTokenPos() + ": 'experts_per_token' must be at least 1, got "
                    + c.expertsPerToken());
        }
        if (c.experts().size() < c.expertsPerToken()) {
            throw new ConfigException(c.expertsPos() + ": 'experts' lists " + c.experts().size() + " expert"
                    + (c.experts().size() == 1 ? "" : "s") + ", fewer than experts_per_token (" + c.expertsPerToken()
                    + "); list at least as many experts as each token is routed to");
        }
        // mergekit stops checking here for random gates: prompts are not read, and a sparse-upcycling config lists
        // one model several times on purpose
        if (c.gateMode() == MoeConfig.GateMode.RANDOM) return;
        for (int i = 0; i < c.experts().size(); i++) {
            MoeConfig.Expert e = c.experts().get(i);
            if (!e.hasPositivePrompts()) {
                throw new ConfigException(e.pos() + ": expert " + i + " ('" + e.sourceModel() + "') has no"
                        + " 'positive_prompts'; gate_mode " + c.gateMode().yamlName() + " needs prompts for every"
                        + " expert (only gate_mode random does without" + (c.gateMode() == MoeConfig.GateMode.UNIFORM_RANDOM
                        ? "; uniform_random does not read them but requires them, as mergekit does" : "") + ")");
            }
        }
        MoeConfig.Expert first = c.experts().getFirst();
        if (c.experts().stream().allMatch(e -> samePrompts(e, first))) {
            throw new ConfigException(c.expertsPos() + ": " + (c.experts().size() == 1
                    ? "there is only one expert, so no prompts tell experts apart"
                    : "every expert has the same positive and negative prompts, so the gates cannot tell them apart")
                    + "; give each expert prompts typical of what should be routed to it");
        }
        if (!allowIdenticalExperts && c.experts().stream().allMatch(e -> e.sourceModel().equals(first.sourceModel()))) {
            throw new ConfigException(c.expertsPos() + ": every expert is the same model '" + first.sourceModel()
                    + "', so the MoE computes what that model computes, at a higher cost; to build it anyway (to train"
                    + " it afterwards), pass " + ALLOW_SAME_FLAG + " to jmerge moe");
        }
    }

    private static boolean samePrompts(MoeConfig.Expert a, MoeConfig.Expert b) {
        return Objects.equals(list(a.positivePrompts()), list(b.positivePrompts()))
                && Objects.equals(a.negatives(), b.negatives());
    }

    private static List<String> list(List<String> l) { return l == null ? List.of() : l; }
}

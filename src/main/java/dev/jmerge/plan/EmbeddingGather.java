package dev.jmerge.plan;

import dev.jmerge.tensor.Shape;
import dev.jmerge.config.ModelReference;
import dev.jmerge.config.TokenizerConfig;
import dev.jmerge.diagnostic.Diagnostic;
import dev.jmerge.error.ConfigException;
import dev.jmerge.tokenizer.ModelTokenizer;
import dev.jmerge.tokenizer.OutputVocabulary;
import dev.jmerge.tokenizer.TokenizerPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Re-plans every embedding tensor onto the merged vocabulary (compat §6): output shape = padded vocabulary
 * rows × embedding width, each input given a {@link RowGather}. The defaults follow mergekit: an explicit
 * {@code tokens:} source; else the only model that has the token; else zero (no model has it); else the base's
 * row; else the mean over the models that have it.
 */
final class EmbeddingGather {

    private final TokenizerConfig config;
    private final TokenizerPlan tokenizers;
    private final List<LoadedModel> models;
    private final LoadedModel base;
    private final List<Diagnostic> warnings;
    /** Per input of the tensor being gathered: its row of each output row, -1 where it lacks the token. */
    private int[][] natural;

    EmbeddingGather(TokenizerConfig config, TokenizerPlan tokenizers, List<LoadedModel> models, LoadedModel base,
                    List<Diagnostic> warnings) {
        this.config = config;
        this.tokenizers = tokenizers;
        this.models = models;
        this.base = base;
        this.warnings = warnings;
    }

    List<PlannedTensor> apply(List<PlannedTensor> tensors) {
        List<PlannedTensor> out = new ArrayList<>();
        for (PlannedTensor t : tensors) out.add(t.isEmbed() ? gather(t) : t);
        return out;
    }

    private PlannedTensor gather(PlannedTensor t) {
        OutputVocabulary vocab = tokenizers.vocabulary();
        List<PlannedInput> ins = t.inputs();
        long cols = -1;
        for (PlannedInput in : ins) {
            if (models.get(in.model()).weights().adjusted(in.tensorName())) {
                throw new ConfigException("tensor '" + t.name() + "': the LoRA adapter of model '"
                        + models.get(in.model()).label() + "' changes this embedding, which cannot be combined with a"
                        + " tokenizer setting yet; merge the adapter first (--lora-merge-cache)");
            }
            Shape s = in.info().shape();
            if (s.rank() != 2) {
                throw new ConfigException("tensor '" + t.name() + "' of model '" + models.get(in.model()).label()
                        + "' is not a matrix; a merged vocabulary needs 2-D embeddings");
            }
            if (cols >= 0 && s.dim(1) != cols) {
                throw new ConfigException("tensor '" + t.name() + "' is " + cols + " wide in model '"
                        + models.get(ins.getFirst().model()).label() + "' but " + s.dim(1) + " in model '"
                        + models.get(in.model()).label() + "'; embeddings of different widths cannot be merged");
            }
            cols = s.dim(1);
        }
        int n = vocab.size();
        natural = new int[ins.size()][];
        int[][] own = new int[ins.size()][n];
        for (int i = 0; i < ins.size(); i++) {
            int[] p = tokenizers.permutation(ins.get(i).model());
            long rows = ins.get(i).info().shape().dim(0);
            int beyond = 0;
            for (int r = 0; r < n; r++) {
                own[i][r] = p[r] < rows ? p[r] : -1;
                if (p[r] >= rows) beyond++;
            }
            natural[i] = own[i].clone();
            if (beyond > 0) {
                warnings.add(new Diagnostic.Finding("tensor '" + t.name() + "': model '"
                        + models.get(ins.get(i).model()).label() + "' has " + beyond + " tokens with ids past its "
                        + rows + " rows; they are treated as missing"));
            }
        }
        RowGather.Default[] defaults = new RowGather.Default[n];
        int inNone = 0;
        String firstNone = null;
        int baseInput = -1;
        for (int i = 0; i < ins.size(); i++) if (base != null && ins.get(i).model() == base.index()) baseInput = i;
        Map<String, TokenizerConfig.TokenSpec> specs = config.tokens();
        for (int r = 0; r < n; r++) {
            String token = vocab.tokens().get(r);
            TokenizerConfig.TokenSpec spec = token == null ? null : specs.get(token);
            boolean force = spec != null && spec.force();
            boolean needed = force;
            int present = 0, only = -1;
            for (int i = 0; i < ins.size(); i++) {
                if (own[i][r] >= 0) {
                    present++;
                    only = i;
                } else {
                    needed = true;
                }
            }
            if (force) for (int[] o : own) o[r] = -1;
            if (spec != null && spec.kind() != null) {
                defaults[r] = explicit(t, ins, own, r, token, spec);
            } else if (!needed) {
                defaults[r] = null;
            } else if (present == 1) {
                defaults[r] = new RowGather.Default.Copy(only, ownOf(ins, r, only));
            } else if (present == 0) {
                defaults[r] = new RowGather.Default.Zero();
                if (token != null) {
                    inNone++;
                    if (firstNone == null) firstNone = token;
                }
            } else if (baseInput >= 0 && ownOf(ins, r, baseInput) >= 0) {
                defaults[r] = new RowGather.Default.Copy(baseInput, ownOf(ins, r, baseInput));
            } else {
                int[] which = new int[present], rows = new int[present];
                for (int i = 0, k = 0; i < ins.size(); i++) {
                    int row = ownOf(ins, r, i);
                    if (row >= 0) {
                        which[k] = i;
                        rows[k++] = row;
                    }
                }
                defaults[r] = new RowGather.Default.Mean(which, rows);
            }
        }
        if (inNone > 0) {
            warnings.add(new Diagnostic.Finding("tensor '" + t.name() + "': " + inNone + " tokens (first: "
                    + quote(firstNone) + ") are in no model; their rows are zero"));
        }
        RowGather.Defaults shared = new RowGather.Defaults(n, vocab.paddedRows(), defaults);
        List<PlannedInput> gathered = new ArrayList<>();
        for (int i = 0; i < ins.size(); i++) {
            PlannedInput in = ins.get(i);
            gathered.add(in.withGather(new RowGather(own[i], shared)));
        }
        return new PlannedTensor(t.name(), Shape.of(vocab.paddedRows(), cols), t.outDtype(), t.loadDtype(),
                t.method(), List.copyOf(gathered), t.baseIndex(), t.global(), t.perModel(), true);
    }

    /** The input's own row of output row r before forcing (forcing only changes what the input presents). */
    private int ownOf(List<PlannedInput> ins, int r, int input) { return natural[input][r]; }

    private RowGather.Default explicit(PlannedTensor t, List<PlannedInput> ins, int[][] own, int r, String token,
                                       TokenizerConfig.TokenSpec spec) {
        String key = "tokenizer.tokens." + quote(token);
        return switch (spec.kind()) {
            case "zero" -> new RowGather.Default.Zero();
            case "model" -> {
                int i = inputOf(t, ins, spec.model(), spec, key);
                int row = ownOf(ins, r, i);
                if (row < 0) {
                    throw new ConfigException(spec.pos() + ": " + key + ".source: model '" + spec.model()
                            + "' does not have the token " + quote(token));
                }
                yield new RowGather.Default.Copy(i, row);
            }
            case "model_token" -> {
                int i = inputOf(t, ins, spec.model(), spec, key);
                int id;
                if (spec.tokenId() != null) {
                    id = spec.tokenId();
                } else {
                    ModelTokenizer tok = tokenizers.tokenizers().get(ins.get(i).model());
                    Integer found = tok.fullVocab().get(spec.token());
                    if (found == null) {
                        throw new ConfigException(spec.pos() + ": " + key + ".source.token: model '" + spec.model()
                                + "' has no token " + quote(spec.token()));
                    }
                    id = found;
                }
                long rows = ins.get(i).info().shape().dim(0);
                if (id < 0 || id >= rows) {
                    throw new ConfigException(spec.pos() + ": " + key + ".source: token id " + id + " is outside"
                            + " tensor '" + t.name() + "' of model '" + spec.model() + "' (" + rows + " rows)");
                }
                yield new RowGather.Default.Copy(i, id);
            }
            default -> throw new IllegalStateException("token source kind " + spec.kind());
        };
    }

    private int inputOf(PlannedTensor t, List<PlannedInput> ins, ModelReference ref, TokenizerConfig.TokenSpec spec,
                        String key) {
        for (int i = 0; i < ins.size(); i++) if (models.get(ins.get(i).model()).ref().equals(ref)) return i;
        throw new ConfigException(spec.pos() + ": " + key + ".source: model '" + ref + "' is not an input of"
                + " tensor '" + t.name() + "'; a token's embedding can only come from a model being merged");
    }

    private static String quote(String token) {
        return "'" + token.replace("\n", "\\n") + "'";
    }
}

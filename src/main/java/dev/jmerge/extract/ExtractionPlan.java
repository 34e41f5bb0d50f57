package dev.jmerge.extract;

import dev.jmerge.arch.WeightSpec;
import dev.jmerge.error.ConfigException;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What an extraction will write, decided from the two models' headers before any tensor data is read, by
 * mergekit-extract-lora's rules (compat §5.4), module by module in the fine-tune's order:
 * <ol>
 *   <li>without {@code --embed-lora}, embeddings and the output head not excluded by a regex join
 *       modules_to_save (their last name component does);
 *   <li>a module whose full name or last component is in modules_to_save is saved at full rank (the
 *       fine-tune's weight and bias), whatever the regexes say;
 *   <li>otherwise, a module the regexes let through is decomposed when it is a Linear or Embedding, else saved
 *       at full rank and added to modules_to_save (or dropped with {@code --skip-undecomposable});
 *   <li>the rest is left out.
 * </ol>
 * When the vocabularies differ, {@code --embed-lora} is turned off (the embeddings cannot be subtracted).
 */
public final class ExtractionPlan implements AutoCloseable {

    public enum Action { DECOMPOSE, FULL_RANK, LEFT_OUT }

    /**
     * One module and what happens to it.
     *
     * @param baseWeight   the base tensor subtracted from the fine-tune's weight (decomposed modules)
     * @param baseBias     the base bias subtracted from the fine-tune's (decomposed modules with a bias), or null
     * @param factorDtype  dtype of A, B and the bias delta: the type of {@code fine-tune − base} in torch
     * @param rank         the rank asked for, {@code min(--max-rank, rows, cols)}; {@code --sv-epsilon} may lower it
     */
    public record Step(Module module, Action action, String baseWeight, String baseBias, DType factorDtype, int rank) {

        /** Embeddings are decomposed transposed and written as lora_embedding_A/B. */
        public boolean transposed() { return module.kind() == Module.Kind.EMBEDDING; }
    }

    private final LoadedModel ft;
    private final LoadedModel base;
    private final ExtractOptions options;
    private final String architecture;
    private final List<Step> steps;
    private final List<String> modulesToSave;
    private final List<String> notes;
    private final List<String> ignored;
    private final long ftVocab;
    private final long baseVocab;

    private ExtractionPlan(LoadedModel ft, LoadedModel base, ExtractOptions options, String architecture,
                           List<Step> steps, List<String> modulesToSave, List<String> notes, List<String> ignored,
                           long ftVocab, long baseVocab) {
        this.ft = ft;
        this.base = base;
        this.options = options;
        this.architecture = architecture;
        this.steps = List.copyOf(steps);
        this.modulesToSave = List.copyOf(modulesToSave);
        this.notes = List.copyOf(notes);
        this.ignored = List.copyOf(ignored);
        this.ftVocab = ftVocab;
        this.baseVocab = baseVocab;
    }

    static ExtractionPlan of(LoadedModel ft, LoadedModel base, ExtractOptions o) {
        ModuleScan.Result scan = ModuleScan.scan(ft);
        List<String> notes = new ArrayList<>();
        long ftVocab = 0, baseVocab = 0;
        Optional<Module> inputEmbedding = scan.modules().stream()
                .filter(m -> m.role() == Module.Role.INPUT_EMBEDDING).findFirst();
        if (inputEmbedding.isPresent()) {
            Module e = inputEmbedding.get();
            ftVocab = e.rows();
            baseVocab = find(base, e.weightSpec(), e.weight()).map(n -> base.info(n).dim(0)).orElse(ftVocab);
        }
        boolean embedLora = o.embedLora();
        if (embedLora && ftVocab != baseVocab) {
            notes.add("vocabulary sizes differ (fine-tune " + ftVocab + " tokens, base " + baseVocab
                    + "): embeddings are saved at full rank, not decomposed (--embed-lora turned off)");
            embedLora = false;
        }

        List<String> save = new ArrayList<>(o.saveModules());
        Set<String> warned = new LinkedHashSet<>();
        List<Step> steps = new ArrayList<>();
        for (Module m : scan.modules()) {
            boolean embeddingLike = m.kind() == Module.Kind.EMBEDDING || m.role() != Module.Role.NONE;
            if (!embedLora && embeddingLike && !o.excluded(m.name()) && !save.contains(m.key())) {
                save.add(m.key());
                notes.add("'" + m.key() + "' added to modules_to_save (saved at full rank; --embed-lora decomposes it)");
            }
            if (save.contains(m.name()) || save.contains(m.key())) {
                steps.add(new Step(m, Action.FULL_RANK, null, null, m.dtype(), 0));
            } else if (o.included(m.name()) && !o.excluded(m.name())) {
                if (m.kind().decomposable()) {
                    steps.add(decomposition(m, ft, base, o));
                } else {
                    if (!o.skipUndecomposable()) {
                        if (!save.contains(m.key())) save.add(m.key());
                        steps.add(new Step(m, Action.FULL_RANK, null, null, m.dtype(), 0));
                    } else {
                        steps.add(new Step(m, Action.LEFT_OUT, null, null, m.dtype(), 0));
                    }
                    if (warned.add(m.key())) {
                        notes.add("'" + m.key() + "' (" + m.kind().label() + ") cannot be decomposed: "
                                + (o.skipUndecomposable() ? "left out (--skip-undecomposable)" : "saved at full rank"));
                    }
                }
            } else {
                steps.add(new Step(m, Action.LEFT_OUT, null, null, m.dtype(), 0));
            }
        }
        if (steps.stream().noneMatch(s -> s.action() == Action.DECOMPOSE)) {
            throw new ConfigException("nothing to decompose: of the " + scan.modules().size() + " modules of '"
                    + ft.label() + "', none is a Linear or Embedding module that the include/exclude regexes and"
                    + " modules_to_save leave to extract");
        }
        return new ExtractionPlan(ft, base, o, scan.architecture(), steps, save, notes, scan.ignored(), ftVocab,
                baseVocab);
    }

    private static Step decomposition(Module m, LoadedModel ft, LoadedModel base, ExtractOptions o) {
        String baseWeight = counterpart(m, m.weightSpec(), m.weight(), m.ftWeight(), ft, base);
        String baseBias = m.ftBias() == null ? null : counterpart(m, m.biasSpec(), m.bias(), m.ftBias(), ft, base);
        DType dtype = differenceType(m.dtype(), base.info(baseWeight).dtype());
        if (dtype == null) {
            throw new ConfigException("tensor '" + m.weight() + "' is " + m.dtype().torchName() + " in '" + ft.label()
                    + "' and " + base.info(baseWeight).dtype().torchName() + " in '" + base.label()
                    + "'; expected floating-point weights to take their difference");
        }
        int rank = (int) Math.min(o.maxRank(), Math.min(m.rows(), m.cols()));
        return new Step(m, Action.DECOMPOSE, baseWeight, baseBias, dtype, rank);
    }

    /** The base tensor matching a fine-tune tensor, with the same shape. */
    private static String counterpart(Module m, WeightSpec spec, String canonical, String ftName, LoadedModel ft,
                                      LoadedModel base) {
        String name = find(base, spec, canonical).orElseThrow(() -> new ConfigException("base model '"
                + base.label() + "' has no tensor '" + canonical + "' to subtract from the fine-tune's (module '"
                + m.name() + "')"));
        Shape a = ft.info(ftName).shape(), b = base.info(name).shape();
        if (!a.equals(b)) {
            throw new ConfigException("tensor '" + canonical + "' is " + a + " in '" + ft.label()
                    + "' but " + b + " in base model '" + base.label() + "'; expected the same shape"
                    + " (save the module at full rank with --save-module " + m.key() + ", or exclude it)");
        }
        return name;
    }

    /** The base's name for a weight: its definition entry (aliases, tied names) resolved, else the same name. */
    private static Optional<String> find(LoadedModel model, WeightSpec spec, String canonical) {
        Set<String> names = model.weights().names();
        if (spec != null) return spec.resolve(names);
        return names.contains(canonical) ? Optional.of(canonical) : Optional.empty();
    }

    /** torch's result type of {@code a − b}: the type itself when equal, float32 for mixed 16-bit types. */
    static DType differenceType(DType a, DType b) {
        if (!a.isFloating() || !b.isFloating()) return null;
        if (a == DType.F64 || b == DType.F64) return DType.F64;
        if (a == b && a.byteSize() >= 2) return a;
        return DType.F32;
    }

    public LoadedModel ft() { return ft; }

    public LoadedModel base() { return base; }

    public ExtractOptions options() { return options; }

    public List<Step> steps() { return steps; }

    public String architecture() { return architecture; }

    /** modules_to_save for adapter_config.json: the --save-module names, then what the rules added. */
    public List<String> modulesToSave() { return modulesToSave; }

    /** What the rules did that a user may not expect (one line each). */
    public List<String> notes() { return notes; }

    public long ftVocab() { return ftVocab; }

    public long baseVocab() { return baseVocab; }

    /** Checkpoint tensors that belong to no module (buffers), left out as mergekit leaves them. */
    public List<String> ignored() { return ignored; }

    /** Unmaps both models. */
    @Override
    public void close() {
        ft.close();
        if (base != ft) base.close();
    }
}

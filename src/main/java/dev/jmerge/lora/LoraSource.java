package dev.jmerge.lora;

import dev.jmerge.error.ConfigException;
import dev.jmerge.io.StoredTensor;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.io.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * A model with a PEFT LoRA adapter applied while its tensors are read ({@code model+lora}): the adapter's
 * modules_to_save replace base tensors (read from the adapter's file), its low-rank terms and biases are added to
 * the base values as they are decoded. Everything downstream sees a {@link TensorSource} like any other model.
 */
public final class LoraSource implements TensorSource {

    private final TensorSource base;
    private final LoraAdapter adapter;

    private LoraSource(TensorSource base, LoraAdapter adapter) {
        this.base = base;
        this.adapter = adapter;
    }

    /**
     * {@code base} as {@code adapter} changes it; the result owns both and closes them.
     *
     * @param adapterLabel how a refusal names the adapter (where it was referenced and its name)
     * @param modelLabel how a refusal names the base model
     * @throws ConfigException when the adapter changes a tensor the model does not have
     */
    public static LoraSource over(TensorSource base, LoraAdapter adapter, String adapterLabel, String modelLabel) {
        for (String target : adapter.targets()) {
            if (!base.has(target)) {
                throw new ConfigException(adapterLabel + " changes tensor '" + target + "', which model '" + modelLabel
                        + "' does not have");
            }
        }
        return new LoraSource(base, adapter);
    }

    private LoraPatch patch(String name) { return adapter.patch(name, base.info(name)); }

    @Override public Path folder() { return base.folder(); }

    @Override public Set<String> names() { return base.names(); }

    @Override public boolean has(String name) { return base.has(name); }

    /** A replaced tensor is the adapter's copy, under the base tensor's name. */
    @Override
    public TensorInfo info(String name) {
        return patch(name) instanceof LoraPatch.Replace r ? r.info().named(name) : base.info(name);
    }

    @Override
    public Path fileOf(String name) {
        return patch(name) instanceof LoraPatch.Replace ? adapter.file() : base.fileOf(name);
    }

    @Override
    public boolean adapted() { return true; }

    @Override
    public boolean adjusted(String name) { return patch(name) instanceof LoraPatch.Delta; }

    @Override
    public StoredTensor stored(String name) {
        return switch (patch(name)) {
            case LoraPatch.Replace r -> new StoredTensor(r.info().named(name), adapter.file(), r.data(), null);
            case LoraPatch.Delta d -> {
                StoredTensor s = base.stored(name);
                yield new StoredTensor(s.info(), s.file(), s.bytes(), d);
            }
            case null -> base.stored(name);
        };
    }

    /** The base model's files, then the adapter's. */
    @Override
    public List<Path> files() {
        List<Path> all = new ArrayList<>(base.files());
        all.add(adapter.file());
        return all;
    }

    /** Adapters are located whole before planning: only the base's files can be pending. */
    @Override
    public void fetch(Collection<Path> files) { base.fetch(files); }

    @Override
    public void close() {
        try {
            base.close();
        } finally {
            adapter.close();
        }
    }
}

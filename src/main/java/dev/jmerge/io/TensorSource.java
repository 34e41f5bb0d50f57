package dev.jmerge.io;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The tensors of one model as a merge reads them: names, header entries, and where each one's bytes lie. A
 * model folder ({@link ModelWeights}) is one; decorators present it changed (a LoRA adapter applied while reading,
 * in {@code dev.jmerge.lora}) without the planner or the executor knowing. Thread-safe.
 */
public interface TensorSource extends AutoCloseable {

    /** The model folder the tensors come from. */
    Path folder();

    /** Tensor names, in the model's order. */
    Set<String> names();

    default boolean has(String name) { return names().contains(name); }

    /** The tensor as reads present it (dtype, shape, bytes); opens no file that is not on disk yet. */
    TensorInfo info(String name);

    /** The file holding the tensor's bytes, without opening it (what {@link #fetch} needs before a read). */
    Path fileOf(String name);

    /** Whether reads present the tensors changed from what the folder stores (a LoRA adapter applied). */
    default boolean adapted() { return false; }

    /** Whether values read are changed after decoding ({@link StoredTensor#delta()}); opens nothing. */
    boolean adjusted(String name);

    /** The tensor's bytes and what is added to its values as they are read; opens its file. */
    StoredTensor stored(String name);

    /** Every file the tensors are read from, in order of first appearance. */
    List<Path> files();

    /** Downloads those of {@code files} that are still pending; a no-op for local files. */
    void fetch(Collection<Path> files);

    /** Unmaps everything opened. */
    @Override
    void close();
}

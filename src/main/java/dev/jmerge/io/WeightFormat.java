package dev.jmerge.io;

import dev.jmerge.error.MergeException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A file format model weights come in: the file names it has in a model folder and how to open one of its files.
 * Formats live in packages beneath this one ({@code io.safetensors}, {@code io.pytorch}) and are found through
 * {@link ServiceLoader} ({@code META-INF/services}), so this layer knows none of them; the services file lists them
 * in the order mergekit prefers them.
 */
public interface WeightFormat {

    /** The weights of a single-file model, e.g. {@code model.safetensors}. */
    String singleFile();

    /** The index of a sharded model, e.g. {@code model.safetensors.index.json}. */
    String indexFile();

    /** Whether {@code file} (by its name) is one of this format's files. */
    boolean reads(Path file);

    /** Opens and maps {@code file}, checking its structure; failures name the file. */
    WeightFile open(Path file);

    /** Every format, in order of preference. */
    static List<WeightFormat> all() { return Known.ALL; }

    /** Opens {@code file} with the format that reads it. */
    static WeightFile openFile(Path file) {
        for (WeightFormat f : all()) if (f.reads(file)) return f.open(file);
        throw new MergeException(file + ": not a weight file jmerge reads; expected one of "
                + all().stream().map(WeightFormat::singleFile).toList() + " or their shards");
    }

    /** The formats, loaded once. */
    final class Known {
        private static final List<WeightFormat> ALL = ServiceLoader.load(WeightFormat.class, WeightFormat.class.getClassLoader())
                .stream().map(ServiceLoader.Provider::get).toList();

        private Known() {}
    }
}

package dev.jmerge.io;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;

/**
 * Weight files of a model folder that are not on disk yet (a Hub snapshot being filled). Planning reads their
 * headers from here; execution first asks for the files it needs with {@link #fetch}.
 */
public interface RemoteFiles {

    /** True while {@code file} (a path inside the model folder) is known but not downloaded. */
    boolean pending(Path file);

    /** The tensors of a pending safetensors file, read from its header alone. */
    Map<String, TensorInfo> header(Path file);

    /** Brings the given files to disk (those still pending), blocking until all are there. */
    void fetch(Collection<Path> files);
}

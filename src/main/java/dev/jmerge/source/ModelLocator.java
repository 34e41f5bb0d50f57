package dev.jmerge.source;

import dev.jmerge.config.ModelReference;
import dev.jmerge.config.SourcePos;
import dev.jmerge.error.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns a model reference into a local folder: an existing directory (relative paths against the working
 * directory), else a Hugging Face repo id looked up in the local hub cache. Downloading is not done here.
 */
public final class ModelLocator {

    private final Path workingDir;
    private final HfCache cache;

    public ModelLocator(Path workingDir, HfCache cache) {
        this.workingDir = workingDir;
        this.cache = cache;
    }

    public Path locate(ModelReference ref, SourcePos pos) {
        if (ref.lora() != null) {
            throw new ConfigException(pos + ": model '" + ref + "' applies a LoRA adapter; LoRA references are not"
                    + " supported yet (merge the adapter into the model first)");
        }
        String path = ref.model().path();
        Path local = workingDir.resolve(expandHome(path)).normalize();
        if (Files.isDirectory(local)) {
            if (ref.model().revision() != null) {
                throw new ConfigException(pos + ": model '" + ref + "' is a local folder; a revision (@"
                        + ref.model().revision() + ") only applies to Hugging Face repo ids");
            }
            return local;
        }
        if (looksLikeRepoId(path)) {
            var snap = cache.snapshot(path, ref.model().revision());
            if (snap.isPresent()) return snap.get();
            String rev = ref.model().revision() == null ? "main" : ref.model().revision();
            throw new ConfigException(pos + ": model '" + ref + "' not found: no folder " + local
                    + " and no cached snapshot of repo '" + path + "' at revision '" + rev + "' in "
                    + cache.repoFolder(path) + " (set HF_HUB_CACHE or HF_HOME, or download it first)");
        }
        throw new ConfigException(pos + ": model '" + ref + "' not found: no folder " + local);
    }

    private static String expandHome(String path) {
        if (path.equals("~") || path.startsWith("~/")) return System.getProperty("user.home") + path.substring(1);
        return path;
    }

    /** A repo id is {@code name} or {@code org/name}; anything with more slashes or absolute is a local path. */
    static boolean looksLikeRepoId(String path) {
        if (path.startsWith("/") || path.startsWith("~") || path.startsWith(".")) return false;
        return path.chars().filter(c -> c == '/').count() <= 1 && !path.isBlank();
    }
}

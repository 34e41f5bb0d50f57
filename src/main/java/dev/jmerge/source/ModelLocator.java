package dev.jmerge.source;

import dev.jmerge.config.ModelPath;
import dev.jmerge.config.ModelReference;
import dev.jmerge.config.SourcePos;
import dev.jmerge.error.ConfigException;
import dev.jmerge.source.hub.HubModels;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns a model reference into a local folder: an existing directory (relative paths against the working
 * directory), else a Hugging Face repo id: from the Hub through {@link HubModels} when one is given (metadata
 * now, weight files when a plan asks for them), else looked up in the local hub cache only. A reference that
 * can only be a path ({@link #looksLocal}) and names no folder is reported as missing at once, never looked up
 * on the Hub. Folders a recipe has planned but not written yet can be given stand-ins ({@link #standIn}).
 */
public final class ModelLocator {

    private final Path workingDir;
    private final HfCache cache;
    private final HubModels hub;     // null: cache only
    private Path loraMergeCache;     // null: adapters are applied while reading
    private final java.util.Map<Path, HubModels.Located> standIns = new java.util.concurrent.ConcurrentHashMap<>();

    public ModelLocator(Path workingDir, HfCache cache) {
        this.workingDir = workingDir;
        this.cache = cache;
        this.hub = null;
    }

    public ModelLocator(Path workingDir, HubModels hub) {
        this.workingDir = workingDir;
        this.cache = hub.settings().cache();
        this.hub = hub;
    }

    /** mergekit's {@code --lora-merge-cache}: where merged {@code model+lora} copies are written and reused. */
    public ModelLocator withLoraMergeCache(Path dir) {
        this.loraMergeCache = dir;
        return this;
    }

    public Path loraMergeCache() { return loraMergeCache; }

    /**
     * From now on, a reference to {@code folder} finds {@code standIn} instead: the metadata and weight headers of
     * a merge that a multi-document --dry-run planned but did not write.
     */
    public void standIn(Path folder, HubModels.Located standIn) {
        standIns.put(workingDir.resolve(folder).toAbsolutePath().normalize(), standIn);
    }

    /** The folder of the reference's model (its adapter is located with {@link #find} on {@code ref.lora()}). */
    public Path locate(ModelReference ref, SourcePos pos) {
        return find(ref.model(), pos, ref.toString(), false).folder();
    }

    /**
     * Locates one side of a reference.
     *
     * @param allWeights fetch every weight file now (adapters are read whole); otherwise Hub weight files stay
     *                   remote until {@code RemoteFiles.fetch}
     */
    public HubModels.Located find(ModelPath model, SourcePos pos, String label, boolean allWeights) {
        String path = model.path();
        Path local = workingDir.resolve(expandHome(path)).normalize();
        HubModels.Located planned = standIns.get(local.toAbsolutePath());
        if (planned != null) return planned;
        if (Files.isDirectory(local)) {
            if (model.revision() != null) {
                throw new ConfigException(pos + ": model '" + label + "' is a local folder; a revision (@"
                        + model.revision() + ") only applies to Hugging Face repo ids");
            }
            return new HubModels.Located(local, null);
        }
        if (looksLocal(path, local)) {
            throw new ConfigException(pos + ": model '" + label + "' not found: no folder " + local + localHint(path, local));
        }
        if (hub != null) {
            try {
                return hub.locate(path, model.revision(), allWeights);
            } catch (ConfigException e) {
                throw new ConfigException(pos + ": model '" + label + "': " + e.getMessage(), e);
            }
        }
        var snap = cache.snapshot(path, model.revision());
        if (snap.isPresent()) return new HubModels.Located(snap.get(), null);
        String rev = model.revision() == null ? "main" : model.revision();
        throw new ConfigException(pos + ": model '" + label + "' not found: no folder " + local
                + " and no cached snapshot of repo '" + path + "' at revision '" + rev + "' in "
                + cache.repoFolder(path) + " (set HF_HUB_CACHE or HF_HOME, or download it first)");
    }

    private static String expandHome(String path) {
        if (path.equals("~") || path.startsWith("~/")) return System.getProperty("user.home") + path.substring(1);
        return path;
    }

    /**
     * A reference that can only be meant as a path: relative to here or above ({@code ./}, {@code ../}), absolute
     * or home-relative, with more than one {@code /}, or {@code dir/name} where {@code dir} is a folder here.
     */
    static boolean looksLocal(String path, Path resolved) {
        if (!looksLikeRepoId(path)) return true;
        return path.contains("/") && resolved.getParent() != null && Files.isDirectory(resolved.getParent());
    }

    private static String localHint(String path, Path resolved) {
        if (!looksLikeRepoId(path)) return "";
        return " (" + path.substring(0, path.indexOf('/')) + "/ is a folder here, so '" + path
                + "' is read as a path, not as a Hugging Face repo id)";
    }

    /** A repo id is {@code name} or {@code org/name}; anything with more slashes or absolute is a local path. */
    static boolean looksLikeRepoId(String path) {
        if (path.startsWith("/") || path.startsWith("~") || path.startsWith(".")) return false;
        return path.chars().filter(c -> c == '/').count() <= 1 && !path.isBlank();
    }
}

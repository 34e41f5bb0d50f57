package dev.jmerge.source;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Hugging Face hub cache as huggingface_hub lays it out:
 * {@code <cache>/models--org--name/refs/<revision>} holds a commit hash, and
 * {@code <cache>/models--org--name/snapshots/<commit>/} holds the files.
 */
public final class HfCache {

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private final Path root;

    public HfCache(Path root) { this.root = root; }

    public Path root() { return root; }

    /**
     * The cache root huggingface_hub would use: an explicit path (e.g. {@code --transformers-cache}), else
     * {@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}.
     */
    public static HfCache locate(Path explicit, Map<String, String> env) {
        if (explicit != null) return new HfCache(explicit);
        String hub = env.get("HF_HUB_CACHE");
        if (hub != null && !hub.isBlank()) return new HfCache(Path.of(hub));
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) return new HfCache(Path.of(home, "hub"));
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return new HfCache(base.resolve("huggingface").resolve("hub"));
    }

    /** {@code org/name} → {@code models--org--name}. */
    public Path repoFolder(String repoId) {
        return root.resolve("models--" + repoId.replace("/", "--"));
    }

    /**
     * Whether a snapshot can be merged without the network: config.json and every weight file its index names
     * (or its single weight file) are there. jmerge downloads only the shards a plan reads, so a snapshot it
     * left may be partial.
     */
    public boolean isComplete(Path snapshot) {
        if (!Files.isRegularFile(snapshot.resolve("config.json"))) return false;
        try (var weights = dev.jmerge.io.ModelWeights.open(snapshot)) {
            return !weights.names().isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The snapshot folder for a repo at a revision (branch, tag or commit), if it is in the cache. */
    public Optional<Path> snapshot(String repoId, String revision) {
        Path repo = repoFolder(repoId);
        String rev = revision == null ? "main" : revision;
        String commit = null;
        Path ref = repo.resolve("refs").resolve(rev);
        try {
            if (Files.isRegularFile(ref)) commit = Files.readString(ref).strip();
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
        if (commit == null && COMMIT.matcher(rev).matches()) commit = rev;
        if (commit == null || !COMMIT.matcher(commit).matches()) return Optional.empty();
        Path snap = repo.resolve("snapshots").resolve(commit);
        return Files.isDirectory(snap) ? Optional.of(snap) : Optional.empty();
    }
}

package dev.jmerge.source.hub;

import dev.jmerge.error.ConfigException;
import dev.jmerge.error.MergeException;
import dev.jmerge.io.RemoteFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Hub repos as model folders in the shared cache. A repo is resolved in two phases: now, the revision's commit,
 * the small files (JSON, tokenizer.model) and, for safetensors repos, nothing of the weights but their headers
 * on demand; later, through {@link RemoteFiles#fetch}, only the weight files a plan reads. The file choice is
 * mergekit's: safetensors if the repo has any, else {@code .bin}.
 */
public final class HubModels {

    /** A located repo: its snapshot folder and, when some weight files are still remote, how to get them. */
    public record Located(Path folder, RemoteFiles remote) {}

    private final HubSettings settings;
    private final HubClient client;
    private final int parallel;
    private final DownloadProgress progress;

    public HubModels(HubSettings settings, HubClient.Options options, int parallel, DownloadProgress progress) {
        this.settings = settings;
        this.client = new HubClient(settings, options);
        this.parallel = parallel;
        this.progress = progress;
    }

    public HubSettings settings() { return settings; }

    /**
     * @param allWeights download every weight file now (adapters, which are read whole)
     */
    public Located locate(String repo, String revision, boolean allWeights) {
        String rev = revision == null ? "main" : revision;
        Optional<Path> cached = settings.cache().snapshot(repo, rev);
        String what = repo + "@" + rev;
        if (settings.offline()) {
            Located found = cached.map(p -> new Located(p, null)).orElseThrow(() -> new ConfigException("repo '" + repo
                    + "' at revision '" + rev + "' is not in the cache " + settings.cache().repoFolder(repo)
                    + " and HF_HUB_OFFLINE is set, so it cannot be downloaded"));
            progress.looked("hub: " + what + ": cached snapshot " + shortCommit(found.folder()) + " (offline)");
            return found;
        }
        boolean complete = cached.isPresent() && settings.cache().isComplete(cached.get());
        if (complete && rev.equals(cached.get().getFileName().toString())) {
            // a commit never changes: its complete snapshot needs no network at all
            progress.looked("hub: " + what + ": cached");
            return new Located(cached.get(), null);
        }
        progress.lookup(repo, rev);
        HubClient.Revision r;
        try {
            // With a complete snapshot at hand, one quick try: a dead network costs a connect timeout, no retries.
            r = client.revision(repo, rev, complete ? 1 : client.options().attempts());
        } catch (ConfigException e) {
            progress.looked(null); // the error says it
            throw e;
        } catch (MergeException e) {
            // As huggingface_hub does: an unreachable Hub is not fatal when the snapshot is already here.
            if (cached.isPresent()) {
                progress.looked("hub: " + what + ": the Hub did not answer (" + rootCause(e) + "); using the cached"
                        + " snapshot " + shortCommit(cached.get()) + (complete ? "" : ", which is incomplete"));
                return new Located(cached.get(), null);
            }
            progress.looked(null);
            throw e;
        }
        Path repoFolder = settings.cache().repoFolder(repo);
        Path snap = repoFolder.resolve("snapshots").resolve(r.commit());
        writeRef(repoFolder, rev, r.commit());

        boolean safetensors = r.files().stream().anyMatch(f -> f.toLowerCase(java.util.Locale.ROOT).endsWith(".safetensors"));
        List<String> small = new ArrayList<>();
        Map<Path, String> weights = new LinkedHashMap<>();
        for (String f : r.files()) {
            String lower = f.toLowerCase(java.util.Locale.ROOT);
            if (f.equals("tokenizer.model") || lower.endsWith(".json")) small.add(f);
            else if (safetensors ? lower.endsWith(".safetensors") : lower.endsWith(".bin")) weights.put(snap.resolve(f), f);
        }
        List<String> missing = small.stream().filter(f -> !Files.exists(snap.resolve(f))).toList();
        long remoteWeights = weights.keySet().stream().filter(p -> !Files.exists(p)).count();
        progress.looked("hub: " + what + ": commit " + r.commit().substring(0, 12)
                + (missing.isEmpty() && remoteWeights == 0 ? " (cached)"
                : remoteWeights == 0 ? " (" + missing.size() + " small files to download)"
                : " (" + remoteWeights + " weight files on the Hub; those the plan reads are downloaded)"));
        download(repo, r.commit(), repoFolder, missing);
        if (allWeights || !safetensors) {
            // .bin headers are pickles inside zips: without a cheap header read, they are fetched to plan.
            download(repo, r.commit(), repoFolder,
                    weights.values().stream().filter(f -> !Files.exists(snap.resolve(f))).toList());
            weights.clear();
        }
        try {
            Files.createDirectories(snap);
        } catch (IOException e) {
            throw new MergeException(snap + ": cannot create the snapshot folder (" + e.getMessage() + ")", e);
        }
        RemoteFiles remote = weights.isEmpty() ? null
                : new HubSnapshot(client, repo, r.commit(), repoFolder, weights, parallel, progress);
        return new Located(snap, remote);
    }

    private static String shortCommit(Path snapshot) {
        String c = snapshot.getFileName().toString();
        return c.length() > 12 ? c.substring(0, 12) : c;
    }

    private static String rootCause(Throwable e) {
        return HubClient.describe(e.getCause() != null ? e.getCause() : e);
    }

    private void download(String repo, String commit, Path repoFolder, List<String> files) {
        List<HubClient.FileMeta> metas = new ArrayList<>();
        for (String f : files) metas.add(client.head(repo, commit, f));
        HubSnapshot.fetchAll(client, repoFolder, metas, parallel, progress, repo);
    }

    private static void writeRef(Path repoFolder, String rev, String commit) {
        if (rev.equals(commit)) return;
        Path ref = repoFolder.resolve("refs").resolve(rev).normalize();
        if (!ref.startsWith(repoFolder.resolve("refs"))) throw new ConfigException("revision '" + rev + "' is not a valid name");
        try {
            Files.createDirectories(ref.getParent());
            if (Files.exists(ref) && Files.readString(ref).strip().equals(commit)) return;
            Files.writeString(ref, commit);
        } catch (IOException e) {
            throw new MergeException(ref + ": cannot write the revision's commit (" + e.getMessage() + ")", e);
        }
    }
}

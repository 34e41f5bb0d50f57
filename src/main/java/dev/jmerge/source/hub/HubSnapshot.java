package dev.jmerge.source.hub;

import dev.jmerge.error.MergeException;
import dev.jmerge.io.RemoteFiles;
import dev.jmerge.io.safetensors.SafetensorsHeader;
import dev.jmerge.io.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A Hub snapshot folder whose small files are in place and whose weight files are fetched on demand: their
 * safetensors headers come from two ranged requests each, their bytes only when {@link #fetch} is called.
 */
final class HubSnapshot implements RemoteFiles {

    private final HubClient client;
    private final String repo;
    private final String commit;
    private final Path repoFolder;
    private final Map<Path, String> remote;     // snapshot path -> file name in the repo
    private final int parallel;
    private final DownloadProgress progress;
    private final Map<Path, HubClient.FileMeta> metas = new ConcurrentHashMap<>();
    private final Map<Path, Map<String, TensorInfo>> headers = new ConcurrentHashMap<>();

    HubSnapshot(HubClient client, String repo, String commit, Path repoFolder, Map<Path, String> remote,
                int parallel, DownloadProgress progress) {
        this.client = client;
        this.repo = repo;
        this.commit = commit;
        this.repoFolder = repoFolder;
        this.remote = Map.copyOf(remote);
        this.parallel = parallel;
        this.progress = progress;
    }

    @Override
    public boolean pending(Path file) { return remote.containsKey(file) && !Files.exists(file); }

    @Override
    public Map<String, TensorInfo> header(Path file) {
        return headers.computeIfAbsent(file, f -> {
            HubClient.FileMeta meta = meta(f);
            byte[] len = client.range(meta, 0, 8);
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n <= 0 || n > SafetensorsHeader.MAX_HEADER_BYTES || (meta.size() >= 0 && 8 + n > meta.size())) {
                throw new MergeException(repo + "/" + meta.file() + ": header length " + n
                        + " is impossible; expected a safetensors file");
            }
            byte[] json = client.range(meta, 8, n);
            return SafetensorsHeader.parse(f, json, meta.size() >= 0 ? meta.size() : 8 + n).tensors();
        });
    }

    @Override
    public void fetch(Collection<Path> files) {
        List<HubClient.FileMeta> todo = new ArrayList<>();
        for (Path f : files) if (pending(f)) todo.add(meta(f));
        fetchAll(client, repoFolder, todo, parallel, progress, repo);
    }

    private HubClient.FileMeta meta(Path file) {
        String name = remote.get(file);
        if (name == null) throw new IllegalArgumentException(file + " is not a remote file of " + repo);
        return metas.computeIfAbsent(file, f -> client.head(repo, commit, name));
    }

    /** Downloads files in parallel; the first failure cancels the rest and is rethrown. */
    static void fetchAll(HubClient client, Path repoFolder, List<HubClient.FileMeta> todo, int parallel,
                         DownloadProgress progress, String label) {
        if (todo.isEmpty()) return;
        long bytes = todo.stream().mapToLong(m -> Math.max(0, m.size())).sum();
        progress.begin(label, todo.size(), bytes);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(parallel, todo.size())), r -> {
            Thread t = new Thread(r, "jmerge-download");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Path>> futures = new ArrayList<>();
            for (HubClient.FileMeta m : todo) {
                futures.add(pool.submit(() -> BlobDownload.fetch(client, repoFolder, m, progress)));
            }
            for (Future<Path> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    futures.forEach(x -> x.cancel(true));
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new MergeException("download failed: " + e.getCause(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MergeException("download interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
            progress.end();
        }
    }
}

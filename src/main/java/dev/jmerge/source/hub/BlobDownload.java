package dev.jmerge.source.hub;

import dev.jmerge.error.MergeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * One file into the cache as huggingface_hub stores it: bytes go to {@code blobs/<etag>.incomplete} (kept across
 * failures and resumed with a Range request), are checked (size; sha256 when the ETag is one, as for LFS files),
 * moved to {@code blobs/<etag>}, and linked from {@code snapshots/<commit>/<file>} by a relative symlink.
 */
final class BlobDownload {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private BlobDownload() {}

    /** Ensures the snapshot link of {@code meta} exists and points at a complete blob; returns the link. */
    static Path fetch(HubClient client, Path repoFolder, HubClient.FileMeta meta, DownloadProgress progress) {
        Path blob = repoFolder.resolve("blobs").resolve(meta.etag());
        Path link = repoFolder.resolve("snapshots").resolve(meta.commit()).resolve(meta.file()).normalize();
        if (!link.startsWith(repoFolder.resolve("snapshots").resolve(meta.commit())) || meta.etag().contains("/")) {
            throw new MergeException(repoFolder + ": refusing file name '" + meta.file() + "' or ETag that leaves the cache");
        }
        try {
            Files.createDirectories(blob.getParent());
            if (!Files.isRegularFile(blob)) download(client, blob, meta, progress);
            else progress.advance(Math.max(0, meta.size()));
            Files.createDirectories(link.getParent());
            linkTo(link, blob);
            return link;
        } catch (IOException | WriteFailure e) {
            throw diskError(repoFolder, meta, e);
        }
    }

    private static void download(HubClient client, Path blob, HubClient.FileMeta meta, DownloadProgress progress)
            throws IOException {
        Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
        long need = meta.size() - (Files.exists(partial) ? Files.size(partial) : 0);
        long free = Files.getFileStore(blob.getParent()).getUsableSpace();
        if (meta.size() > 0 && need > free) {
            throw new MergeException("not enough disk space for '" + meta.file() + "': " + need + " bytes needed, "
                    + free + " free in " + blob.getParent() + " (free space or set HF_HUB_CACHE elsewhere)");
        }
        progress.advance(Files.exists(partial) ? Files.size(partial) : 0);
        client.retry("'" + meta.file() + "'", () -> {
            transfer(client, partial, meta, progress);
            return null;
        });
        long size = Files.size(partial);
        if (meta.size() >= 0 && size != meta.size()) {
            Files.deleteIfExists(partial);
            throw new MergeException("'" + meta.file() + "': downloaded " + size + " bytes but the Hub announced "
                    + meta.size() + "; the partial file was removed, run again");
        }
        if (SHA256.matcher(meta.etag()).matches()) {
            String got = sha256(partial);
            if (!got.equals(meta.etag())) {
                Files.deleteIfExists(partial);
                throw new MergeException("'" + meta.file() + "': checksum mismatch (sha256 " + got + ", expected "
                        + meta.etag() + "); the corrupt download was removed, run again");
            }
        }
        Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** One attempt: resume from what the partial file holds; transient failures surface as IOExceptions. */
    private static void transfer(HubClient client, Path partial, HubClient.FileMeta meta, DownloadProgress progress)
            throws IOException {
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        if (meta.size() >= 0 && have == meta.size()) return;
        if (meta.size() >= 0 && have > meta.size()) {
            Files.delete(partial);
            have = 0;
        }
        HttpResponse<InputStream> r = client.open(meta, have);
        boolean append = have > 0 && r.statusCode() == 206;
        if (have > 0 && !append) progress.advance(-have);
        try (InputStream in = r.body();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                try {
                    out.write(buf, 0, n);
                } catch (IOException e) {
                    throw new WriteFailure(e);
                }
                progress.advance(n);
            }
        }
        if (meta.size() >= 0 && Files.size(partial) < meta.size()) {
            throw new IOException("transfer ended early at " + Files.size(partial) + " of " + meta.size() + " bytes");
        }
    }

    /** A local write failure: not worth retrying over the network. */
    static final class WriteFailure extends RuntimeException {
        WriteFailure(IOException cause) { super(cause); }
    }

    private static void linkTo(Path link, Path blob) throws IOException {
        Path target = link.getParent().relativize(blob);
        if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(target)) return;
        Files.deleteIfExists(link);
        try {
            Files.createSymbolicLink(link, target);
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(blob, link); // file systems without symlinks: huggingface_hub copies too
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static MergeException diskError(Path where, HubClient.FileMeta meta, Exception e) {
        Throwable c = e instanceof WriteFailure w ? w.getCause() : e;
        String m = String.valueOf(c.getMessage());
        if (m.contains("No space left") || m.contains("not enough space")) {
            return new MergeException("disk full while downloading '" + meta.file() + "' into " + where
                    + " (free space or set HF_HUB_CACHE elsewhere)", c);
        }
        return new MergeException("cannot write '" + meta.file() + "' into " + where + " (" + c + ")", c);
    }
}

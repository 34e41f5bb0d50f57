package dev.jmerge.source.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A Hub on 127.0.0.1 for tests: the revision API, resolve URLs that answer small files directly and redirect LFS
 * files (safetensors, bin) to {@code /cdn/...} with X-Linked-Etag/X-Linked-Size, X-Repo-Commit everywhere, Range
 * support, and faults on demand: gated repos, 503s, cut transfers, corrupted bytes.
 */
final class FakeHub implements AutoCloseable {

    record Repo(String commit, Map<String, byte[]> files, Set<String> branches) {}

    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    final Set<String> gated = ConcurrentHashMap.newKeySet();
    /** file name -> remaining 503 answers before it is served */
    final Map<String, AtomicInteger> flaky = new ConcurrentHashMap<>();
    /** file name -> remaining transfers to cut at half */
    final Map<String, AtomicInteger> cut = new ConcurrentHashMap<>();
    /** file names served with one byte flipped */
    final Set<String> corrupt = ConcurrentHashMap.newKeySet();
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final HttpServer server;

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        server.start();
    }

    String endpoint() { return "http://127.0.0.1:" + server.getAddress().getPort(); }

    /** Publishes every file of {@code folder} (recursively) as repo {@code id} at a commit derived from the content. */
    String publish(String id, Path folder) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(folder)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                files.put(folder.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        MessageDigest md = sha("SHA-1");
        files.forEach((k, v) -> { md.update(k.getBytes(StandardCharsets.UTF_8)); md.update(v); });
        String commit = HexFormat.of().formatHex(md.digest());
        repos.put(id, new Repo(commit, files, Set.of("main")));
        return commit;
    }

    /** Requests for weight bytes (GETs under /cdn). */
    List<String> weightRequests() {
        synchronized (log) {
            return log.stream().filter(l -> l.startsWith("GET /cdn/") && !l.contains("range=bytes=0-7")
                    && !l.contains("range=bytes=8-")).toList();
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
        String range = ex.getRequestHeaders().getFirst("Range");
        log.add(ex.getRequestMethod() + " " + path + (range != null ? " range=" + range : "")
                + (ex.getRequestHeaders().containsKey("Authorization") ? " auth" : ""));
        try (ex) {
            if (path.startsWith("/api/models/")) api(ex, path.substring("/api/models/".length()));
            else if (path.startsWith("/cdn/")) cdn(ex, path.substring(5), range);
            else resolve(ex, path.substring(1));
        }
    }

    private void api(HttpExchange ex, String rest) throws IOException {
        int i = rest.indexOf("/revision/");
        String id = rest.substring(0, i), rev = rest.substring(i + "/revision/".length());
        if (gated.contains(id)) { send(ex, 401, "GatedRepo", new byte[0]); return; }
        Repo r = repos.get(id);
        if (r == null) { send(ex, 404, "RepoNotFound", new byte[0]); return; }
        if (!r.branches().contains(rev) && !rev.equals(r.commit())) { send(ex, 404, "RevisionNotFound", new byte[0]); return; }
        StringBuilder json = new StringBuilder("{\"id\":\"" + id + "\",\"sha\":\"" + r.commit() + "\",\"siblings\":[");
        int n = 0;
        for (String f : r.files().keySet()) json.append(n++ > 0 ? "," : "").append("{\"rfilename\":\"").append(f).append("\"}");
        json.append("]}");
        ex.getResponseHeaders().add("Content-Type", "application/json");
        send(ex, 200, null, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void resolve(HttpExchange ex, String rest) throws IOException {
        int i = rest.indexOf("/resolve/");
        if (i < 0) { send(ex, 404, null, new byte[0]); return; }
        String id = rest.substring(0, i);
        String after = rest.substring(i + "/resolve/".length());
        String rev = after.substring(0, after.indexOf('/')), file = after.substring(after.indexOf('/') + 1);
        if (gated.contains(id)) { send(ex, 401, "GatedRepo", new byte[0]); return; }
        Repo r = repos.get(id);
        if (r == null) { send(ex, 404, "RepoNotFound", new byte[0]); return; }
        byte[] data = r.files().get(file);
        if (data == null) { send(ex, 404, "EntryNotFound", new byte[0]); return; }
        ex.getResponseHeaders().add("X-Repo-Commit", r.commit());
        if (file.endsWith(".safetensors") || file.endsWith(".bin")) {
            ex.getResponseHeaders().add("X-Linked-Etag", "\"" + HexFormat.of().formatHex(sha("SHA-256").digest(data)) + "\"");
            ex.getResponseHeaders().add("X-Linked-Size", String.valueOf(data.length));
            ex.getResponseHeaders().add("Location", endpoint() + "/cdn/" + id + "/" + file);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        ex.getResponseHeaders().add("ETag", "\"" + HexFormat.of().formatHex(sha("SHA-1").digest(data)) + "\"");
        serve(ex, file, data, null);
    }

    private void cdn(HttpExchange ex, String rest, String range) throws IOException {
        for (var e : repos.entrySet()) {
            if (rest.startsWith(e.getKey() + "/")) {
                String file = rest.substring(e.getKey().length() + 1);
                byte[] data = e.getValue().files().get(file);
                if (data != null) { serve(ex, file, data, range); return; }
            }
        }
        send(ex, 404, null, new byte[0]);
    }

    private void serve(HttpExchange ex, String file, byte[] data, String range) throws IOException {
        AtomicInteger f = flaky.get(file);
        if (f != null && f.getAndDecrement() > 0 && ex.getRequestMethod().equals("GET")) { send(ex, 503, null, new byte[0]); return; }
        if (corrupt.contains(file)) { data = data.clone(); data[data.length / 2] ^= 0x55; }
        long from = 0, to = data.length - 1;
        if (range != null && range.startsWith("bytes=")) {
            String[] p = range.substring(6).split("-", -1);
            from = Long.parseLong(p[0]);
            if (!p[1].isEmpty()) to = Math.min(to, Long.parseLong(p[1]));
        }
        int len = (int) (to - from + 1);
        ex.getResponseHeaders().add("Content-Length", String.valueOf(len));
        if (ex.getRequestMethod().equals("HEAD")) { ex.sendResponseHeaders(200, -1); return; }
        ex.sendResponseHeaders(range != null ? 206 : 200, len);
        OutputStream out = ex.getResponseBody();
        AtomicInteger c = cut.get(file);
        if (c != null && c.getAndDecrement() > 0) {
            out.write(data, (int) from, len / 2);
            out.flush();
            return; // the exchange closes with the body short: the client sees the transfer end early
        }
        out.write(data, (int) from, len);
    }

    private static void send(HttpExchange ex, int code, String errorCode, byte[] body) throws IOException {
        if (errorCode != null) ex.getResponseHeaders().add("X-Error-Code", errorCode);
        ex.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    private static MessageDigest sha(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() { server.stop(0); }
}

package dev.jmerge.source.hub;

import dev.jmerge.error.ConfigException;
import dev.jmerge.error.MergeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The few Hub endpoints a merge needs, on {@link HttpClient}: the revision API, HEAD of a resolve URL for a
 * file's commit/ETag/size, ranged GETs for safetensors headers, and streamed GETs for downloads. Redirects are
 * followed by hand so the Hub's own headers (on the redirect) are seen and the token never goes to another host.
 * Transient failures (I/O, timeouts, 5xx, 429) are retried with exponential backoff; a Hub that cannot be
 * reached at all (refused, unknown host, connect timeout) is tried only twice, so a dead network fails fast.
 */
public final class HubClient {

    /**
     * @param attempts tries per request; @param backoff first wait, doubled each retry
     * @param timeout  for a whole request; @param connectTimeout for opening a connection
     */
    public record Options(int attempts, Duration backoff, Duration timeout, Duration connectTimeout) {
        public static final Options DEFAULT = new Options(5, Duration.ofSeconds(1), Duration.ofSeconds(60),
                Duration.ofSeconds(5));

        public Options(int attempts, Duration backoff, Duration timeout) {
            this(attempts, backoff, timeout, timeout.compareTo(DEFAULT_CONNECT) < 0 ? timeout : DEFAULT_CONNECT);
        }

        private static final Duration DEFAULT_CONNECT = Duration.ofSeconds(5);
    }

    /** Tries for a request whose connection cannot be opened at all. */
    static final int CONNECT_ATTEMPTS = 2;

    /** A repo at a revision: the commit it names and the files of that commit. */
    public record Revision(String commit, List<String> files) {}

    /** What HEAD on a resolve URL says: commit, blob ETag (sha256 for LFS files), size, where the bytes are. */
    public record FileMeta(String file, String commit, String etag, long size, URI location) {}

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final HubSettings settings;
    private final Options options;
    /** Built on first use: TLS set-up costs a merge of local models a noticeable part of its start-up. */
    private volatile HttpClient http;

    public HubClient(HubSettings settings, Options options) {
        this.settings = settings;
        this.options = options;
    }

    private HttpClient http() {
        HttpClient h = http;
        if (h == null) {
            synchronized (this) {
                if (http == null) {
                    http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                            .connectTimeout(options.connectTimeout()).build();
                }
                h = http;
            }
        }
        return h;
    }

    public HubSettings settings() { return settings; }

    public Options options() { return options; }

    public Revision revision(String repo, String rev) {
        return revision(repo, rev, options.attempts());
    }

    /** @param attempts at most this many tries (1 when a complete cached snapshot can stand in) */
    public Revision revision(String repo, String rev, int attempts) {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + repo + "/revision/" + encode(rev));
        return retry("revision '" + rev + "' of '" + repo + "'", attempts, () -> {
            HttpResponse<byte[]> r = send(get(uri).build(), HttpResponse.BodyHandlers.ofByteArray(), true);
            check(r.statusCode(), r.headers(), repo, rev, null);
            JsonNode node = JSON.readTree(r.body());
            String sha = node.path("sha").asString(null);
            if (sha == null || !sha.matches("[0-9a-f]{40}")) {
                throw new MergeException(uri + ": the Hub's answer has no commit sha");
            }
            List<String> files = new ArrayList<>();
            for (JsonNode s : node.path("siblings")) files.add(s.path("rfilename").asString());
            return new Revision(sha, List.copyOf(files));
        });
    }

    public FileMeta head(String repo, String commit, String file) {
        URI uri = resolveUri(repo, commit, file);
        return retry("'" + file + "' of '" + repo + "'", () -> {
            URI at = uri;
            for (int hop = 0; hop < 5; hop++) {
                HttpResponse<Void> r = send(request(at).method("HEAD", HttpRequest.BodyPublishers.noBody())
                        .header("Accept-Encoding", "identity").build(), HttpResponse.BodyHandlers.discarding(), true);
                int code = r.statusCode();
                HttpHeaders h = r.headers();
                Optional<String> loc = h.firstValue("Location");
                if (code >= 300 && code < 400 && loc.isPresent() && !URI.create(loc.get()).isAbsolute()) {
                    at = at.resolve(loc.get()); // a renamed repo: still the Hub, keep going
                    continue;
                }
                if (code < 300 || code >= 400) check(code, h, repo, commit, file);
                String etag = h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).map(HubClient::normalizeEtag)
                        .orElseThrow(() -> new MergeException(uri + ": the Hub sent no ETag for '" + file + "'"));
                String c = h.firstValue("X-Repo-Commit").orElse(commit);
                long size = h.firstValue("X-Linked-Size").or(() -> h.firstValue("Content-Length"))
                        .map(Long::parseLong).orElse(-1L);
                URI location = loc.map(at::resolve).orElse(at);
                return new FileMeta(file, c, etag, size, location);
            }
            throw new MergeException(uri + ": too many redirects");
        });
    }

    /** Bytes {@code [from, from + length)} of a file, following redirects. */
    public byte[] range(FileMeta meta, long from, long length) {
        return retry("bytes of '" + meta.file() + "'", () -> {
            var r = follow(meta.location(), "bytes=" + from + "-" + (from + length - 1), HttpResponse.BodyHandlers.ofByteArray());
            byte[] body = r.body();
            if (r.statusCode() == 206 && body.length == length) return body;
            if (r.statusCode() == 200 && body.length >= from + length) {
                return java.util.Arrays.copyOfRange(body, (int) from, (int) (from + length));
            }
            throw new IOException("short range answer (" + r.statusCode() + ", " + body.length + " bytes)");
        });
    }

    /** A streamed GET from {@code offset} (0 = whole file); status 206 means the server honoured the range. */
    HttpResponse<InputStream> open(FileMeta meta, long offset) throws IOException {
        return follow(meta.location(), offset > 0 ? "bytes=" + offset + "-" : null, HttpResponse.BodyHandlers.ofInputStream());
    }

    private <T> HttpResponse<T> follow(URI start, String range, HttpResponse.BodyHandler<T> handler) throws IOException {
        URI at = start;
        for (int hop = 0; hop < 8; hop++) {
            HttpRequest.Builder b = request(at, sameHost(at)).GET();
            if (range != null) b.header("Range", range);
            HttpResponse<T> r = send(b.build(), handler, sameHost(at));
            int code = r.statusCode();
            if (code >= 300 && code < 400 && r.headers().firstValue("Location").isPresent()) {
                closeQuietly(r.body());
                at = at.resolve(r.headers().firstValue("Location").get());
                continue;
            }
            if (code >= 500 || code == 429) {
                closeQuietly(r.body());
                throw new IOException("HTTP " + code + " from " + at.getHost());
            }
            if (code >= 400) {
                closeQuietly(r.body());
                throw new MergeException(at + ": HTTP " + code + " while downloading");
            }
            return r;
        }
        throw new MergeException(start + ": too many redirects");
    }

    private boolean sameHost(URI u) {
        return u.getHost() != null && u.getHost().equalsIgnoreCase(settings.endpoint().getHost())
                && u.getPort() == settings.endpoint().getPort();
    }

    private static void closeQuietly(Object body) {
        if (body instanceof InputStream in) {
            try { in.close(); } catch (IOException ignored) { /* the response is abandoned anyway */ }
        }
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler, boolean hub) throws IOException {
        try {
            return http().send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MergeException("interrupted while talking to " + req.uri().getHost(), e);
        }
    }

    private HttpRequest.Builder get(URI uri) { return request(uri).GET(); }

    private HttpRequest.Builder request(URI uri) { return request(uri, true); }

    private HttpRequest.Builder request(URI uri, boolean withToken) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(options.timeout())
                .header("User-Agent", "jmerge/0.1");
        if (withToken && settings.token() != null) b.header("Authorization", "Bearer " + settings.token());
        return b;
    }

    URI resolveUri(String repo, String commit, String file) {
        StringBuilder path = new StringBuilder();
        for (String part : file.split("/")) {
            if (!path.isEmpty()) path.append('/');
            path.append(encode(part));
        }
        return URI.create(settings.endpoint() + "/" + repo + "/resolve/" + encode(commit) + "/" + path);
    }

    private static String encode(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"); }

    /** huggingface_hub strips the weak marker and the quotes. */
    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e;
    }

    /** Turns Hub answers a user can act on into one clear line; transient ones become retried IOExceptions. */
    private void check(int code, HttpHeaders h, String repo, String rev, String file) throws IOException {
        if (code >= 200 && code < 300) return;
        if (code >= 500 || code == 429) throw new IOException("HTTP " + code);
        String errorCode = h.firstValue("X-Error-Code").orElse("");
        String what = file == null ? "repo '" + repo + "'" : "'" + file + "' of repo '" + repo + "'";
        if (code == 401 || code == 403 || errorCode.equals("GatedRepo")) {
            throw new ConfigException(what + ": access denied (HTTP " + code + "); the repo is gated or private."
                    + " Request access at " + settings.endpoint() + "/" + repo + " and give jmerge a token with"
                    + " read access (HF_TOKEN or `huggingface-cli login`); token used: " + settings.tokenSource());
        }
        if (code == 404) {
            String msg = switch (errorCode) {
                case "RevisionNotFound" -> "repo '" + repo + "' has no revision '" + rev + "' (a branch, tag or commit)";
                case "EntryNotFound" -> "repo '" + repo + "' has no file '" + file + "' at revision '" + rev + "'";
                default -> file != null ? "repo '" + repo + "' has no file '" + file + "' at revision '" + rev + "'"
                        : "repo '" + repo + "' not found on " + settings.endpoint()
                        + " (check the name; private repos also answer 404 without a token: token used: "
                        + settings.tokenSource() + ")";
            };
            throw new ConfigException(msg);
        }
        throw new MergeException(what + ": unexpected HTTP " + code + " from " + settings.endpoint());
    }

    interface Call<T> { T run() throws IOException; }

    <T> T retry(String what, Call<T> call) {
        return retry(what, options.attempts(), call);
    }

    private <T> T retry(String what, int attempts, Call<T> call) {
        IOException last = null;
        int tried = 0;
        for (int attempt = 0; attempt < attempts; attempt++) {
            if (last != null && unreachable(last) && attempt >= CONNECT_ATTEMPTS) break;
            if (attempt > 0) sleep(options.backoff().multipliedBy(1L << Math.min(attempt - 1, 4)));
            tried++;
            try {
                return call.run();
            } catch (IOException e) {
                last = e;
            }
        }
        throw new MergeException("cannot get " + what + " from " + settings.endpoint() + " after " + tried
                + (tried == 1 ? " attempt (" : " attempts (") + describe(last) + ")"
                + (unreachable(last) ? ": the Hub cannot be reached" : "")
                + "; set HF_HUB_OFFLINE=1 to use the cache only", last);
    }

    /** No connection could be opened: refused, unknown host, or no answer within the connect timeout. */
    static boolean unreachable(IOException e) {
        return e instanceof java.net.ConnectException || e instanceof java.net.http.HttpConnectTimeoutException
                || e instanceof java.net.UnknownHostException;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.toLowerCase(Locale.ROOT).strip());
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MergeException("interrupted while waiting to retry", e);
        }
    }
}

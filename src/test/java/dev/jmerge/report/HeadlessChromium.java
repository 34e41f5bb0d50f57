package dev.jmerge.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A headless Chromium driven over the DevTools protocol (a WebSocket from {@code java.net.http}): opens a page,
 * records console errors, uncaught exceptions and every network request, evaluates JavaScript and takes
 * screenshots. Started with no network features, a fresh profile and no sandbox (tests may run as root).
 */
final class HeadlessChromium implements AutoCloseable {

    private static final Pattern ENDPOINT = Pattern.compile("DevTools listening on (ws://\\S+)");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private String session;

    /** The chromium binary on PATH (Debian's package installs {@code chromium}), or null. */
    static Path find() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return p;
            }
        }
        return null;
    }

    HeadlessChromium(Path binary, int width, int height) throws Exception {
        profile = Files.createTempDirectory("jmerge-chromium-");
        process = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--user-data-dir=" + profile, "--remote-debugging-port=0", "--window-size=" + width + "," + height,
                "about:blank").redirectErrorStream(true).start();
        String url = endpoint();
        socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(TIMEOUT)
                .buildAsync(URI.create(url), new Listener()).join();
        JsonNode target = call(null, "Target.createTarget", Map.of("url", "about:blank"));
        JsonNode attached = call(null, "Target.attachToTarget",
                Map.of("targetId", target.get("targetId").asString(), "flatten", true));
        session = attached.get("sessionId").asString();
        for (String domain : List.of("Page", "Runtime", "Log", "Network")) call(domain + ".enable", Map.of());
        call("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height, "deviceScaleFactor", 1,
                "mobile", false));
    }

    /** Reads chromium's output until it says where its DevTools endpoint is; the rest is drained in the background. */
    private String endpoint() throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        String line;
        while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = ENDPOINT.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) { /* chromium's own logging */ }
                    } catch (IOException ignored) {
                        // the process ended
                    }
                }, "chromium-output");
                drain.setDaemon(true);
                drain.start();
                return m.group(1);
            }
        }
        throw new IOException("chromium did not report a DevTools endpoint; its output:\n" + seen);
    }

    /** Opens {@code file} and waits for its load event. */
    void open(Path file) throws Exception {
        events.clear();
        call("Page.navigate", Map.of("url", file.toUri().toString()));
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            JsonNode e = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (e == null) throw new TimeoutException("no load event for " + file);
            if ("Page.loadEventFired".equals(e.get("method").asString())) return;
        }
    }

    /** Evaluates {@code expression} in the page and returns its value (JSON-serialisable results only). */
    JsonNode evaluate(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
        if (r.has("exceptionDetails")) throw new IllegalStateException("script failed: " + r.get("exceptionDetails"));
        return r.get("result").get("value");
    }

    /** A PNG of the page region {@code (x, y, width, height)} in CSS pixels, beyond the viewport if need be. */
    byte[] screenshot(double x, double y, double width, double height) throws Exception {
        ObjectNode clip = JsonNodeFactory.instance.objectNode();
        clip.put("x", x).put("y", y).put("width", width).put("height", height).put("scale", 1);
        JsonNode r = call("Page.captureScreenshot", Map.of("format", "png", "clip", clip, "captureBeyondViewport", true));
        return Base64.getDecoder().decode(r.get("data").asString());
    }

    /** Console errors, uncaught exceptions and error log entries seen so far. */
    List<String> problems() { return List.copyOf(problems); }

    /** URLs the page asked for, the page itself included. */
    List<String> requests() { return List.copyOf(requests); }

    private JsonNode call(String method, Map<String, ?> params) throws Exception {
        return call(session, method, params);
    }

    private JsonNode call(String sessionId, String method, Map<String, ?> params) throws Exception {
        int id = ids.incrementAndGet();
        ObjectNode msg = JsonNodeFactory.instance.objectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", JsonMapper.shared().valueToTree(params));
        if (sessionId != null) msg.put("sessionId", sessionId);
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        socket.sendText(JsonMapper.shared().writeValueAsString(msg), true).join();
        JsonNode r = reply.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (r.has("error")) throw new IllegalStateException(method + ": " + r.get("error"));
        return r.get("result");
    }

    private void event(JsonNode e) {
        String method = e.get("method").asString();
        JsonNode p = e.get("params");
        switch (method) {
            case "Runtime.consoleAPICalled" -> {
                String type = p.get("type").asString();
                if (type.equals("error") || type.equals("warning") || type.equals("assert")) {
                    problems.add("console." + type + ": " + p.get("args"));
                }
            }
            case "Runtime.exceptionThrown" -> problems.add("exception: " + p.get("exceptionDetails"));
            case "Log.entryAdded" -> {
                JsonNode entry = p.get("entry");
                if (entry.get("level").asString().equals("error")) problems.add("log: " + entry.get("text").asString());
            }
            case "Network.requestWillBeSent" -> requests.add(p.get("request").get("url").asString());
            default -> { }
        }
        events.add(e);
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public java.util.concurrent.CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                JsonNode msg = JsonMapper.shared().readTree(text.toString());
                text.setLength(0);
                if (msg.has("id")) {
                    CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asInt());
                    if (f != null) f.complete(msg);
                } else if (msg.has("method")) {
                    event(msg);
                }
            }
            ws.request(1);
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> null).join();
        } finally {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try (var s = Files.walk(profile)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // chromium may still be writing its profile as it exits; the temp folder is left then
            }
        }
    }

    static List<String> list(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }
}

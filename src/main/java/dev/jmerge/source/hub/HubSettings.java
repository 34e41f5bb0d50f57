package dev.jmerge.source.hub;

import dev.jmerge.source.HfCache;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the Hub is and who we are to it, read as huggingface_hub reads its environment: {@code HF_ENDPOINT},
 * {@code HF_TOKEN} else the token file ({@code HF_TOKEN_PATH}, else {@code $HF_HOME/token}), the cache root,
 * and {@code HF_HUB_OFFLINE}. The environment is a map so tests can supply their own.
 *
 * @param token null when none was found
 * @param tokenSource how messages name where the token came from (never the token itself)
 */
public record HubSettings(URI endpoint, String token, String tokenSource, HfCache cache, boolean offline) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    public static HubSettings from(Map<String, String> env, Path explicitCache) {
        String ep = nonBlank(env.get("HF_ENDPOINT"));
        URI endpoint = URI.create(stripSlash(ep != null ? ep : DEFAULT_ENDPOINT));
        String token = nonBlank(env.get("HF_TOKEN"));
        String source = "the HF_TOKEN environment variable";
        if (token == null) {
            token = nonBlank(env.get("HUGGING_FACE_HUB_TOKEN"));
            source = "the HUGGING_FACE_HUB_TOKEN environment variable";
        }
        if (token == null) {
            Path file = tokenFile(env);
            source = "no token (HF_TOKEN unset, no token file at " + file + ")";
            try {
                if (Files.isRegularFile(file)) {
                    token = nonBlank(Files.readString(file).strip());
                    if (token != null) source = "the token file " + file;
                }
            } catch (IOException e) {
                source = "no token (token file " + file + " unreadable: " + e.getMessage() + ")";
            }
        }
        boolean offline = truthy(env.get("HF_HUB_OFFLINE")) || truthy(env.get("TRANSFORMERS_OFFLINE"));
        return new HubSettings(endpoint, token, source, HfCache.locate(explicitCache, env), offline);
    }

    private static Path tokenFile(Map<String, String> env) {
        String explicit = nonBlank(env.get("HF_TOKEN_PATH"));
        if (explicit != null) return Path.of(explicit);
        String home = nonBlank(env.get("HF_HOME"));
        if (home != null) return Path.of(home, "token");
        String xdg = nonBlank(env.get("XDG_CACHE_HOME"));
        Path base = xdg != null ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("huggingface").resolve("token");
    }

    /** huggingface_hub's notion of a true environment flag. */
    static boolean truthy(String v) {
        return v != null && switch (v.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "1", "on", "yes", "true" -> true;
            default -> false;
        };
    }

    private static String nonBlank(String s) { return s == null || s.isBlank() ? null : s.strip(); }

    private static String stripSlash(String s) { return s.endsWith("/") ? s.substring(0, s.length() - 1) : s; }

    @Override
    public String toString() { return "HubSettings[" + endpoint + ", token from " + tokenSource + "]"; }
}

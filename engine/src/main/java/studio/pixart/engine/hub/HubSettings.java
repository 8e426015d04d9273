package studio.pixart.engine.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import studio.pixart.engine.model.ModelLocator;

/**
 * Where and how to download: the hub endpoint ({@code HF_ENDPOINT}, for mirrors), the cache folder
 * (the one {@link ModelLocator} reads), the access token ({@code HF_TOKEN}, else the token file
 * {@code huggingface-cli login} writes), offline mode ({@code HF_HUB_OFFLINE}) and the transfer
 * tunables.
 *
 * @param parallelFiles  files transferred at the same time
 * @param maxAttempts    tries per request without progress before giving up (5xx, reset, stall)
 * @param maxCorrupt     times a file may fail its checksum before the job fails
 * @param backoff        pause before the first retry; doubled per further try, capped at 30 s
 * @param stallTimeout   no byte for this long counts as a dropped connection
 */
public record HubSettings(URI endpoint, Path cacheDir, String token, boolean offline, int parallelFiles,
                          int maxAttempts, int maxCorrupt, Duration backoff, Duration stallTimeout) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    public HubSettings {
        if (parallelFiles < 1) {
            throw new IllegalArgumentException("parallel files must be at least 1, got " + parallelFiles);
        }
        String e = endpoint.toString();
        if (e.endsWith("/")) {
            endpoint = URI.create(e.substring(0, e.length() - 1));
        }
        if (endpoint.getScheme() == null || !endpoint.getScheme().startsWith("http")) {
            throw new IllegalArgumentException("hub endpoint must be an http(s) URL, got '" + e + "'");
        }
    }

    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** The settings huggingface_hub would use with these environment variables. */
    public static HubSettings fromEnvironment(Map<String, String> env) {
        String endpoint = env.getOrDefault("HF_ENDPOINT", "").isBlank() ? DEFAULT_ENDPOINT : env.get("HF_ENDPOINT").trim();
        String offline = env.getOrDefault("HF_HUB_OFFLINE", env.getOrDefault("TRANSFORMERS_OFFLINE", ""));
        return new HubSettings(URI.create(endpoint), new ModelLocator(env).hubCache(), token(env),
                isTrue(offline), 3, 5, 3, Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    static boolean isTrue(String v) {
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes") || v.equalsIgnoreCase("on"));
    }

    /** {@code HF_TOKEN}, else the token file ({@code HF_TOKEN_PATH}, else {@code $HF_HOME/token}). */
    static String token(Map<String, String> env) {
        for (String name : new String[] {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}) {
            String t = env.get(name);
            if (t != null && !t.isBlank()) {
                return t.trim();
            }
        }
        Path file = tokenFile(env);
        try {
            if (Files.isRegularFile(file)) {
                String t = Files.readString(file).trim();
                return t.isEmpty() ? null : t;
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    public static Path tokenFile(Map<String, String> env) {
        String explicit = env.get("HF_TOKEN_PATH");
        if (explicit != null && !explicit.isBlank()) {
            return Paths.get(explicit);
        }
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) {
            return Paths.get(home, "token");
        }
        String userHome = env.getOrDefault("HOME", System.getProperty("user.home"));
        return Paths.get(userHome, ".cache", "huggingface", "token");
    }

    public HubSettings withCacheDir(Path dir) {
        return new HubSettings(endpoint, dir, token, offline, parallelFiles, maxAttempts, maxCorrupt, backoff, stallTimeout);
    }

    public HubSettings withEndpoint(URI url) {
        return new HubSettings(url, cacheDir, token, offline, parallelFiles, maxAttempts, maxCorrupt, backoff, stallTimeout);
    }

    public HubSettings withToken(String t) {
        return new HubSettings(endpoint, cacheDir, t, offline, parallelFiles, maxAttempts, maxCorrupt, backoff, stallTimeout);
    }

    public HubSettings withOffline(boolean off) {
        return new HubSettings(endpoint, cacheDir, token, off, parallelFiles, maxAttempts, maxCorrupt, backoff, stallTimeout);
    }

    public HubSettings withParallelFiles(int n) {
        return new HubSettings(endpoint, cacheDir, token, offline, n, maxAttempts, maxCorrupt, backoff, stallTimeout);
    }

    public HubSettings withRetries(int attempts, int corrupt, Duration firstBackoff, Duration stall) {
        return new HubSettings(endpoint, cacheDir, token, offline, parallelFiles, attempts, corrupt, firstBackoff, stall);
    }
}

package studio.pixart.engine.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.pipeline.GenerationMetadata;

/**
 * The hub's HTTP protocol for reading a model repository: resolve a revision to a commit and list
 * its files ({@code GET /api/models/{id}/revision/{rev}}), then per file a {@code HEAD} on
 * {@code /{id}/resolve/{commit}/{path}} for its size, its etag (the LFS sha256 from {@code
 * X-Linked-Etag}, else the git blob id in {@code ETag}) and where the bytes are (the file host a
 * large file redirects to). Relative redirects (a renamed repo) are followed; an absolute one is
 * the download location. The token is only ever sent to the hub endpoint's host.
 */
public final class HubClient {
    /** A revision resolved to its commit, with every file path of that commit. */
    public record RepoListing(String repoId, String revision, String commit, List<String> files) {}

    /** What a HEAD said about one file. */
    public record FileMeta(String repoId, String path, String etag, long size, URI location) {
        /** LFS files are named by their sha256 (64 hex digits); small files by a git blob id. */
        public boolean lfs() {
            return etag.matches("[0-9a-f]{64}");
        }
    }

    private static final String USER_AGENT = "pixart-studio/" + GenerationMetadata.ENGINE_VERSION
            + "; java/" + System.getProperty("java.version");

    private final HubSettings settings;
    private final HttpClient http;

    public HubClient(HubSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                // one connection per file, as curl and huggingface_hub do; HTTP/2 would multiplex
                // the large files over one connection under one flow-control window
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(15))
                .build();
    }

    HttpClient http() {
        return http;
    }

    HubSettings settings() {
        return settings;
    }

    /** A request to {@code uri} with the user agent, and the token when it goes to the hub itself. */
    HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("User-Agent", USER_AGENT)
                .header("Accept-Encoding", "identity");
        if (settings.token() != null && sameHost(uri, settings.endpoint())) {
            b.header("Authorization", "Bearer " + settings.token());
        }
        return b;
    }

    static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b)
                && a.getScheme().equalsIgnoreCase(b.getScheme());
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    static String encodePath(String path) {
        List<String> parts = new ArrayList<>();
        for (String s : path.split("/")) {
            parts.add(URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return String.join("/", parts);
    }

    static String encodeSegment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public URI resolveUrl(String repoId, String commit, String path) {
        return URI.create(settings.endpoint() + "/" + repoId + "/resolve/" + encodeSegment(commit) + "/" + encodePath(path));
    }

    /** Resolves {@code revision} (branch, tag or commit) to a commit and lists its files. */
    public RepoListing listing(String repoId, String revision, BooleanSupplier cancelled) {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + repoId + "/revision/" + encodeSegment(revision));
        return withRetries("the file list of " + repoId, cancelled, () -> {
            HttpResponse<byte[]> r = http.send(request(uri).timeout(Duration.ofSeconds(60)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw statusError(r.statusCode(), r.headers(), repoId, revision, null);
            }
            JsonNode root;
            try {
                root = Json.MAPPER.readTree(r.body());
            } catch (IOException e) {
                throw new HubException(HubException.Kind.PROTOCOL, r.statusCode(), uri + " did not answer with JSON ("
                        + e.getMessage() + "); is HF_ENDPOINT (" + settings.endpoint() + ") a Hugging Face hub?", e);
            }
            String sha = root.path("sha").asText("");
            if (!sha.matches("[0-9a-f]{40}")) {
                throw new HubException(HubException.Kind.PROTOCOL, uri + " gave no commit id for " + repoId + "@" + revision);
            }
            List<String> files = new ArrayList<>();
            for (JsonNode s : root.path("siblings")) {
                files.add(s.path("rfilename").asText());
            }
            return new RepoListing(repoId, revision, sha, List.copyOf(files));
        });
    }

    /** Size, etag and download location of one file of a commit. */
    public FileMeta head(String repoId, String commit, String path, BooleanSupplier cancelled) {
        return withRetries(repoId + "/" + path, cancelled, () -> {
            URI uri = resolveUrl(repoId, commit, path);
            for (int hop = 0; hop < 10; hop++) {
                HttpResponse<Void> r = http.send(request(uri).timeout(Duration.ofSeconds(30))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
                int code = r.statusCode();
                HttpHeaders h = r.headers();
                boolean redirect = code >= 300 && code < 400;
                if (redirect) {
                    URI target = location(uri, h);
                    if (target.getHost() == null || isRelative(h)) {
                        uri = target; // a renamed repository: still the hub, ask again
                        continue;
                    }
                } else if (code != 200) {
                    throw statusError(code, h, repoId, commit, path);
                }
                String etag = normalizeEtag(h.firstValue("X-Linked-Etag").orElse(h.firstValue("ETag").orElse(null)));
                if (etag == null || etag.isEmpty()) {
                    throw new HubException(HubException.Kind.PROTOCOL, uri + " sent no ETag for " + path
                            + "; the file cannot be verified (is HF_ENDPOINT a Hugging Face hub?)");
                }
                String size = h.firstValue("X-Linked-Size").orElse(redirect ? null : h.firstValue("Content-Length").orElse(null));
                if (size == null) {
                    throw new HubException(HubException.Kind.PROTOCOL, uri + " sent no size for " + path);
                }
                URI location = redirect ? location(uri, h) : uri;
                return new FileMeta(repoId, path, etag, Long.parseLong(size.trim()), location);
            }
            throw new HubException(HubException.Kind.PROTOCOL, "too many redirects for " + repoId + "/" + path);
        });
    }

    static boolean isRelative(HttpHeaders h) {
        String loc = h.firstValue("Location").orElse("");
        return !loc.contains("://");
    }

    static URI location(URI base, HttpHeaders h) {
        String loc = h.firstValue("Location").orElseThrow(() ->
                new HubException(HubException.Kind.PROTOCOL, base + " redirected without a Location"));
        return base.resolve(loc);
    }

    /** {@code W/"abc"} and {@code "abc"} → {@code abc}. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.replace("\"", "");
    }

    /** The message for an HTTP failure status, specific to the status and to what was asked. */
    HubException statusError(int code, HttpHeaders h, String repoId, String revision, String path) {
        String errorCode = h == null ? "" : h.firstValue("X-Error-Code").orElse("");
        String repoUrl = settings.endpoint() + "/" + repoId;
        String what = path == null ? repoId : repoId + "/" + path;
        return switch (code) {
            case 401 -> new HubException(HubException.Kind.AUTH, code, settings.token() == null
                    ? "this model needs a Hugging Face token: " + repoId + " answered 401 Unauthorized (it is gated or "
                    + "private). Create a read token at " + settings.endpoint() + "/settings/tokens, accept the model's "
                    + "terms on " + repoUrl + ", then set HF_TOKEN or save the token in " + HubSettings.tokenFile(System.getenv())
                    : "this model needs a Hugging Face token: the token given was rejected by " + repoId
                    + " (401 Unauthorized); check that it is valid and not expired", null);
            case 403 -> new HubException(HubException.Kind.ACCESS, code, "this model needs a Hugging Face token with "
                    + "access to it: " + repoId + " answered 403 Forbidden. Accept the model's licence on " + repoUrl
                    + " with the account the token belongs to (HF_TOKEN or the token file), then try again", null);
            case 404 -> new HubException(HubException.Kind.NOT_FOUND, code, switch (errorCode) {
                case "RevisionNotFound" -> repoId + " has no revision '" + revision + "' (404 Not Found)";
                case "EntryNotFound" -> repoId + "@" + revision + " has no file " + path + " (404 Not Found)";
                default -> path == null
                        ? "model " + repoId + " was not found on " + settings.endpoint() + " (404 Not Found): check the "
                        + "id (a private model also needs a token)"
                        : repoId + "@" + revision + " has no file " + path + " (404 Not Found)";
            }, null);
            case 416 -> new HubException(HubException.Kind.RANGE, code, "the server refused the byte range asked for "
                    + what + " (416 Range Not Satisfiable): the partial file does not fit the file on the server", null);
            case 429 -> new HubException(HubException.Kind.SERVER, code, settings.endpoint() + " asks to slow down "
                    + "(429 Too Many Requests) for " + what + "; try again in a few minutes", null);
            default -> code >= 500
                    ? new HubException(HubException.Kind.SERVER, code, settings.endpoint() + " had a server error ("
                    + code + ") for " + what + "; the hub may be down, try again later (finished files and partial "
                    + "files are kept)", null)
                    : new HubException(HubException.Kind.PROTOCOL, code, "unexpected answer " + code + " from "
                    + settings.endpoint() + " for " + what, null);
        };
    }

    /** Network trouble as a retryable failure with a message naming the host. */
    HubException networkError(String what, Exception e) {
        String reason = e instanceof HttpConnectTimeoutException || e instanceof ConnectException
                ? "cannot connect to " + settings.endpoint().getHost() + " (check the connection, a proxy, or HF_ENDPOINT)"
                : e instanceof HttpTimeoutException ? "no answer in time" : "connection failed: " + e.getMessage();
        return new HubException(HubException.Kind.NETWORK, 0, what + ": " + reason, e);
    }

    /** Runs a metadata request, retrying server errors and dropped connections with backoff. */
    <T> T withRetries(String what, BooleanSupplier cancelled, Callable<T> call) {
        HubException last = null;
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            if (cancelled.getAsBoolean()) {
                throw new DownloadCancelledException("cancelled");
            }
            try {
                return call.call();
            } catch (HubException e) {
                if (!e.transientFailure()) {
                    throw e;
                }
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DownloadCancelledException("interrupted");
            } catch (IOException e) {
                last = networkError(what, e);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new HubException(HubException.Kind.IO, 0, what + ": " + e.getMessage(), e);
            }
            if (attempt < settings.maxAttempts()) {
                sleepBackoff(attempt, cancelled);
            }
        }
        throw new HubException(last.kind(), last.status(), last.getMessage() + " (gave up after "
                + settings.maxAttempts() + " tries)", last);
    }

    /** Waits before retry {@code attempt}+1: backoff × 2^(attempt-1), at most 30 s; wakes for cancel. */
    void sleepBackoff(int attempt, BooleanSupplier cancelled) {
        long ms = Math.min(30_000, settings.backoff().toMillis() << Math.min(attempt - 1, 10));
        long end = System.nanoTime() + ms * 1_000_000;
        while (System.nanoTime() < end) {
            if (cancelled.getAsBoolean()) {
                throw new DownloadCancelledException("cancelled");
            }
            try {
                Thread.sleep(Math.min(50, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DownloadCancelledException("interrupted");
            }
        }
    }

    static String describeSize(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / (double) (1L << 20));
        }
        if (bytes >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f kB", bytes / 1024.0);
        }
        return bytes + " B";
    }
}

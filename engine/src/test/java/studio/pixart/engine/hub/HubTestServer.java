package studio.pixart.engine.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A Hugging Face Hub on 127.0.0.1 for tests and the download benchmark: the revision API, HEAD and
 * GET on {@code /{repo}/resolve/{rev}/{path}} with the hub's headers ({@code X-Repo-Commit},
 * {@code ETag} = git blob id for small files; large files redirect to a file host with {@code
 * X-Linked-Etag} = sha256 and {@code X-Linked-Size}), and the file host itself with {@code Range}
 * / 206. Faults are injected per test: dropped connections, ignored ranges, corrupted bodies,
 * error statuses, a slow line.
 */
public final class HubTestServer implements AutoCloseable {
    /** One served file. */
    public record RepoFile(String path, Path source, long size, String sha256, String gitSha1, boolean lfs) {}

    public record Repo(String id, String commit, Map<String, RepoFile> files) {}

    /** One request as the server saw it. */
    public record Seen(String method, String path, String range, String authorization) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hub-test-server");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, RepoFile> blobs = new ConcurrentHashMap<>();
    public final List<Seen> seen = new CopyOnWriteArrayList<>();
    /** Body bytes sent for file contents (not API JSON). */
    public final AtomicLong bodyBytes = new AtomicLong();

    // faults
    private final Map<String, AtomicInteger> dropAfter = new ConcurrentHashMap<>();
    private final Map<String, Long> dropAt = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> corrupt = new ConcurrentHashMap<>();
    private final Map<String, long[]> stall = new ConcurrentHashMap<>();
    private final Map<String, int[]> status = new ConcurrentHashMap<>();
    private volatile String ignoreRangeFor = null;
    private volatile long bytesPerSecond = 0;
    private volatile String fileHost;

    public HubTestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        fileHost = endpoint().toString();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Large files redirect to this host (default: the endpoint itself). */
    public void fileHost(String base) {
        fileHost = base;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Serves every file under {@code folder} as repository {@code id}; .safetensors and .model are LFS. */
    public Repo addRepo(String id, Path folder) throws IOException {
        Map<String, RepoFile> files = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(folder)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                String rel = folder.relativize(p).toString().replace('\\', '/');
                files.put(rel, describe(rel, p));
            }
        }
        String commit = HexFormat.of().formatHex(digest("SHA-1", ("commit " + id).getBytes(StandardCharsets.UTF_8)));
        Repo repo = new Repo(id, commit, files);
        repos.put(id, repo);
        files.values().forEach(f -> blobs.put(f.sha256, f));
        return repo;
    }

    static RepoFile describe(String rel, Path p) throws IOException {
        long size = Files.size(p);
        MessageDigest sha256 = md("SHA-256");
        MessageDigest sha1 = md("SHA-1");
        sha1.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(p)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                sha256.update(buf, 0, n);
                sha1.update(buf, 0, n);
            }
        }
        boolean lfs = rel.endsWith(".safetensors") || rel.endsWith(".model") || size > 10 << 20;
        return new RepoFile(rel, p, size, HexFormat.of().formatHex(sha256.digest()), HexFormat.of().formatHex(sha1.digest()), lfs);
    }

    private static MessageDigest md(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] digest(String alg, byte[] data) {
        return md(alg).digest(data);
    }

    // ---- faults ----

    /** The next {@code times} transfers of a file whose path contains {@code pathPart} stop after {@code bytes}. */
    public void dropAfter(String pathPart, long bytes, int times) {
        dropAt.put(pathPart, bytes);
        dropAfter.put(pathPart, new AtomicInteger(times));
    }

    /** The next transfer of a file whose path contains {@code pathPart} goes silent for {@code millis} after {@code bytes}. */
    public void stallAfter(String pathPart, long bytes, long millis) {
        stall.put(pathPart, new long[] {bytes, millis});
    }

    /** The next {@code times} transfers of a file whose path contains {@code pathPart} have one byte flipped. */
    public void corrupt(String pathPart, int times) {
        corrupt.put(pathPart, new AtomicInteger(times));
    }

    /** The next {@code times} requests whose URL path contains {@code pathPart} get {@code code}. */
    public void status(String pathPart, int code, int times) {
        status.put(pathPart, new int[] {code, times});
    }

    /** Files whose path contains {@code pathPart} are always sent whole with 200, whatever the Range. */
    public void ignoreRange(String pathPart) {
        ignoreRangeFor = pathPart;
    }

    /** Limits every file transfer to this rate (0: no limit). */
    public void throttle(long bytesPerSec) {
        bytesPerSecond = bytesPerSec;
    }

    public long count(String method, String pathPart) {
        return seen.stream().filter(s -> s.method.equals(method) && s.path.contains(pathPart)).count();
    }

    // ---- protocol ----

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String method = ex.getRequestMethod();
        seen.add(new Seen(method, path, ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
        try (ex) {
            for (Map.Entry<String, int[]> e : status.entrySet()) {
                if (path.contains(e.getKey())) {
                    int[] ct = e.getValue();
                    boolean hit;
                    synchronized (ct) {
                        hit = ct[1]-- > 0;
                    }
                    if (hit) {
                        send(ex, ct[0], "injected " + ct[0]);
                        return;
                    }
                }
            }
            if (path.startsWith("/api/models/")) {
                api(ex, path.substring("/api/models/".length()));
            } else if (path.startsWith("/cdn/")) {
                RepoFile f = blobs.get(path.substring(5));
                if (f == null) {
                    send(ex, 404, "no such blob");
                } else {
                    ex.getResponseHeaders().set("ETag", "\"" + f.sha256 + "\"");
                    body(ex, f);
                }
            } else {
                resolve(ex, path);
            }
        } catch (IOException e) {
            // the client went away (cancel tests) or a drop was injected
        }
    }

    private void api(HttpExchange ex, String rest) throws IOException {
        int rev = rest.indexOf("/revision/");
        String id = rev < 0 ? rest : rest.substring(0, rev);
        String revision = rev < 0 ? "main" : java.net.URLDecoder.decode(rest.substring(rev + 10), StandardCharsets.UTF_8);
        Repo repo = repos.get(id);
        if (repo == null) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            send(ex, 404, "{\"error\":\"Repository not found\"}");
            return;
        }
        if (!revision.equals("main") && !revision.equals(repo.commit)) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            send(ex, 404, "{\"error\":\"Invalid rev id: " + revision + "\"}");
            return;
        }
        StringBuilder sb = new StringBuilder("{\"id\":\"" + id + "\",\"sha\":\"" + repo.commit + "\",\"siblings\":[");
        List<String> items = new ArrayList<>();
        for (String f : repo.files.keySet()) {
            items.add("{\"rfilename\":\"" + f + "\"}");
        }
        sb.append(String.join(",", items)).append("]}");
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, sb.toString());
    }

    private void resolve(HttpExchange ex, String path) throws IOException {
        int r = path.indexOf("/resolve/");
        if (r < 0) {
            send(ex, 404, "not found");
            return;
        }
        Repo repo = repos.get(path.substring(1, r));
        if (repo == null) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            send(ex, 404, "Repository not found");
            return;
        }
        String rest = path.substring(r + 9);
        int slash = rest.indexOf('/');
        String revision = rest.substring(0, slash);
        String file = java.net.URLDecoder.decode(rest.substring(slash + 1), StandardCharsets.UTF_8);
        if (!revision.equals("main") && !revision.equals(repo.commit)) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            send(ex, 404, "Invalid rev id");
            return;
        }
        RepoFile f = repo.files.get(file);
        ex.getResponseHeaders().set("X-Repo-Commit", repo.commit);
        if (f == null) {
            ex.getResponseHeaders().set("X-Error-Code", "EntryNotFound");
            send(ex, 404, "Entry not found");
            return;
        }
        if (f.lfs) {
            ex.getResponseHeaders().set("X-Linked-Etag", "\"" + f.sha256 + "\"");
            ex.getResponseHeaders().set("X-Linked-Size", Long.toString(f.size));
            ex.getResponseHeaders().set("ETag", "W/\"" + f.gitSha1 + "\"");
            ex.getResponseHeaders().set("Location", fileHost + "/cdn/" + f.sha256 + "?X-Signature=abc");
            ex.sendResponseHeaders(302, -1);
            return;
        }
        ex.getResponseHeaders().set("ETag", "\"" + f.gitSha1 + "\"");
        body(ex, f);
    }

    private void body(HttpExchange ex, RepoFile f) throws IOException {
        long start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        boolean honour = ignoreRangeFor == null || !f.path.contains(ignoreRangeFor);
        if (range != null && range.startsWith("bytes=") && honour) {
            start = Long.parseLong(range.substring(6, range.indexOf('-')));
            if (start >= f.size) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + f.size);
                send(ex, 416, "range not satisfiable");
                return;
            }
        }
        long length = f.size - start;
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        if (start > 0) {
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (f.size - 1) + "/" + f.size);
        }
        ex.sendResponseHeaders(start > 0 ? 206 : 200, length);
        long stopAt = Long.MAX_VALUE;
        for (Map.Entry<String, AtomicInteger> e : dropAfter.entrySet()) {
            if (f.path.contains(e.getKey()) && e.getValue().getAndDecrement() > 0) {
                stopAt = dropAt.get(e.getKey());
            }
        }
        long flipAt = -1;
        for (Map.Entry<String, AtomicInteger> e : corrupt.entrySet()) {
            if (f.path.contains(e.getKey()) && e.getValue().getAndDecrement() > 0) {
                flipAt = start + length / 2;
            }
        }
        long stallAt = Long.MAX_VALUE;
        long stallMillis = 0;
        for (Map.Entry<String, long[]> e : stall.entrySet()) {
            if (f.path.contains(e.getKey()) && stall.remove(e.getKey()) != null) {
                stallAt = e.getValue()[0];
                stallMillis = e.getValue()[1];
            }
        }
        OutputStream out = ex.getResponseBody();
        byte[] buf = new byte[64 << 10];
        long rate = bytesPerSecond;
        long t0 = System.nanoTime();
        long sent = 0;
        try (var ch = java.nio.channels.FileChannel.open(f.source)) {
            long pos = start;
            while (pos < f.size) {
                int n = (int) Math.min(buf.length, f.size - pos);
                if (rate > 0) {
                    n = (int) Math.min(n, Math.max(1024, rate / 20));
                }
                if (pos + n > stopAt) {
                    n = (int) (stopAt - pos);
                }
                if (pos < stallAt && pos + n > stallAt) {
                    n = (int) (stallAt - pos);
                }
                java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    if (ch.read(bb, pos + bb.position()) < 0) {
                        break;
                    }
                }
                if (flipAt >= pos && flipAt < pos + n) {
                    buf[(int) (flipAt - pos)] ^= 0x5a;
                }
                out.write(buf, 0, n);
                out.flush();
                pos += n;
                sent += n;
                bodyBytes.addAndGet(n);
                if (pos == stallAt) {
                    try {
                        Thread.sleep(stallMillis); // silent, connection open
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                if (pos >= stopAt) {
                    // an abrupt end: close the socket under the declared Content-Length
                    throw new IOException("injected drop");
                }
                if (rate > 0) {
                    long due = t0 + (long) (sent * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        try {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                    }
                }
            }
        }
    }

    private static void send(HttpExchange ex, int code, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(code, -1);
            return;
        }
        ex.sendResponseHeaders(code, b.length);
        ex.getResponseBody().write(b);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}

package studio.pixart.engine.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Brings one file into {@code blobs/<etag>.incomplete}: resumes from the bytes already there with a
 * {@code Range} request, follows the redirect to the file host, writes and hashes each received
 * buffer as it arrives (so nothing is read twice), retries dropped or stalled connections with
 * backoff, and verifies the whole file against its etag (sha256 for LFS files, git blob id
 * otherwise). A file that fails verification is deleted and fetched again; it never becomes a blob.
 */
final class BlobTransfer {
    /** Bytes of this file on disk; read by the progress ticker. */
    final AtomicLong done = new AtomicLong();

    private final HubClient client;
    private final HubClient.FileMeta meta;
    private final Path incomplete;
    private final AtomicLong transferred;
    private final BooleanSupplier cancelled;
    private final Consumer<String> note;
    /** fsync this often, so a power cut loses at most this much of a file, never a whole shard. */
    static final long SYNC_EVERY = 16L << 20;

    private MessageDigest digest;
    private long hashedUpTo = -1;

    BlobTransfer(HubClient client, HubClient.FileMeta meta, Path incomplete, AtomicLong transferred,
                 BooleanSupplier cancelled, Consumer<String> note) {
        this.client = client;
        this.meta = meta;
        this.incomplete = incomplete;
        this.transferred = transferred;
        this.cancelled = cancelled;
        this.note = note;
    }

    /** Runs until the verified file is complete at {@code incomplete}; throws on failure or cancel. */
    void run() throws IOException {
        HubSettings s = client.settings();
        int failuresWithoutProgress = 0;
        int corrupt = 0;
        boolean rangeRetried = false;
        while (true) {
            checkCancelled();
            long have = Files.exists(incomplete) ? Files.size(incomplete) : 0;
            if (have > meta.size()) {
                note.accept(meta.path() + ": partial file is larger than the file on the server; discarded");
                Files.delete(incomplete);
                have = 0;
            }
            if (hashedUpTo != have) {
                digest = newDigest(meta);
                hashPrefix(have);
            }
            done.set(have);
            if (have < meta.size()) {
                long before = have;
                try {
                    fetch(have);
                    failuresWithoutProgress = 0;
                } catch (HubException e) {
                    long now = Files.exists(incomplete) ? Files.size(incomplete) : 0;
                    if (e.kind() == HubException.Kind.RANGE && !rangeRetried && before > 0) {
                        rangeRetried = true;
                        note.accept(meta.path() + ": server refused to resume (416); starting the file again");
                        Files.deleteIfExists(incomplete);
                        hashedUpTo = -1;
                        continue;
                    }
                    if (!e.transientFailure()) {
                        throw e;
                    }
                    failuresWithoutProgress = now > before ? 1 : failuresWithoutProgress + 1;
                    if (failuresWithoutProgress >= s.maxAttempts()) {
                        throw new HubException(e.kind(), e.status(), e.getMessage() + " (gave up after "
                                + s.maxAttempts() + " tries without progress; the partial file is kept for a resume)", e);
                    }
                    note.accept(meta.path() + ": " + e.getMessage() + "; resuming at " + HubClient.describeSize(now));
                    client.sleepBackoff(failuresWithoutProgress, cancelled);
                    continue;
                }
            }
            long size = Files.size(incomplete);
            if (size != meta.size()) {
                // the server ended the body early without an error: resume from here
                if (size < meta.size()) {
                    continue;
                }
                Files.delete(incomplete);
                hashedUpTo = -1;
                corrupt = corrupted(corrupt, "the server sent " + size + " bytes instead of " + meta.size());
                continue;
            }
            String got = digest == null ? null : HexFormat.of().formatHex(digest.digest());
            hashedUpTo = -1;
            if (got == null || got.equals(meta.etag())) {
                return;
            }
            Files.delete(incomplete);
            corrupt = corrupted(corrupt, "checksum mismatch (expected " + meta.etag() + ", got " + got + ")");
        }
    }

    private int corrupted(int count, String what) {
        int n = count + 1;
        if (n >= client.settings().maxCorrupt()) {
            throw new HubException(HubException.Kind.VERIFY, 0, meta.repoId() + "/" + meta.path() + " arrived corrupted "
                    + n + " times (" + what + "); nothing was kept. A proxy or the mirror may be altering the file; "
                    + "try again later or another HF_ENDPOINT", null);
        }
        note.accept(meta.path() + ": " + what + "; the file was deleted and is fetched again");
        return n;
    }

    /** The digest matching the etag kind, or null when the etag is neither (no verification possible). */
    static MessageDigest newDigest(HubClient.FileMeta meta) {
        try {
            if (meta.etag().matches("[0-9a-f]{64}")) {
                return MessageDigest.getInstance("SHA-256");
            }
            if (meta.etag().matches("[0-9a-f]{40}")) {
                // git's blob id: sha1 over "blob <size>\0" + content
                MessageDigest d = MessageDigest.getInstance("SHA-1");
                d.update(("blob " + meta.size() + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                return d;
            }
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void hashPrefix(long length) throws IOException {
        if (digest != null && length > 0) {
            byte[] buf = new byte[1 << 20];
            try (InputStream in = Files.newInputStream(incomplete)) {
                long left = length;
                while (left > 0) {
                    checkCancelled();
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        break;
                    }
                    digest.update(buf, 0, n);
                    left -= n;
                }
            }
        }
        hashedUpTo = length;
    }

    private void checkCancelled() {
        if (cancelled.getAsBoolean()) {
            throw new DownloadCancelledException("cancelled");
        }
    }

    /** One GET from {@code offset} (following redirects), appending to the partial file. */
    private void fetch(long offset) throws IOException {
        URI uri = meta.location();
        for (int hop = 0; hop < 10; hop++) {
            HttpRequest.Builder rb = client.request(uri).GET();
            if (offset > 0) {
                rb.header("Range", "bytes=" + offset + "-");
            }
            FileSink sink = new FileSink(offset);
            CompletableFuture<HttpResponse<Long>> cf = client.http().sendAsync(rb.build(), sink);
            HttpResponse<Long> r = await(cf, sink);
            int code = r.statusCode();
            if (code >= 300 && code < 400) {
                uri = HubClient.location(uri, r.headers());
                continue;
            }
            if (sink.failure != null) {
                throw sink.failure;
            }
            return;
        }
        throw new HubException(HubException.Kind.PROTOCOL, "too many redirects for " + meta.path());
    }

    private HttpResponse<Long> await(CompletableFuture<HttpResponse<Long>> cf, FileSink sink) throws IOException {
        long stallNanos = client.settings().stallTimeout().toNanos();
        while (true) {
            try {
                return cf.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (cancelled.getAsBoolean()) {
                    sink.abort();
                    cf.cancel(true);
                    throw new DownloadCancelledException("cancelled");
                }
                if (System.nanoTime() - sink.lastActivity > stallNanos) {
                    sink.abort();
                    cf.cancel(true);
                    throw new HubException(HubException.Kind.NETWORK, 0, meta.path() + ": no data for "
                            + client.settings().stallTimeout().toSeconds() + " s", null);
                }
            } catch (InterruptedException e) {
                sink.abort();
                cf.cancel(true);
                Thread.currentThread().interrupt();
                throw new DownloadCancelledException("interrupted");
            } catch (ExecutionException e) {
                sink.abort();
                Throwable c = e.getCause();
                if (c instanceof HubException he) {
                    throw he;
                }
                if (c instanceof DownloadCancelledException dc) {
                    throw dc;
                }
                if (cancelled.getAsBoolean()) {
                    throw new DownloadCancelledException("cancelled");
                }
                if (c instanceof IOException io && io.getMessage() != null && io.getMessage().contains("No space left")) {
                    throw new HubException(HubException.Kind.DISK, 0, "disk full while writing " + incomplete, io);
                }
                throw client.networkError(meta.path(), c instanceof Exception ex ? ex : new IOException(c));
            }
        }
    }

    /**
     * Chooses what to do with the body from the status line: 206 from the asked offset appends,
     * 200 (a server that ignores {@code Range}) starts the file over, anything else is drained and
     * becomes an error.
     */
    private final class FileSink implements HttpResponse.BodyHandler<Long> {
        private final long offset;
        volatile long lastActivity = System.nanoTime();
        volatile HubException failure;
        private volatile boolean aborted;
        private volatile Writer writer;

        FileSink(long offset) {
            this.offset = offset;
        }

        void abort() {
            aborted = true;
            Writer w = writer;
            if (w != null) {
                w.abort();
            }
        }

        @Override
        public HttpResponse.BodySubscriber<Long> apply(HttpResponse.ResponseInfo info) {
            lastActivity = System.nanoTime();
            int code = info.statusCode();
            if (aborted || cancelled.getAsBoolean() || (code >= 300 && code < 400)) {
                return HttpResponse.BodySubscribers.replacing(0L);
            }
            if (code != 200 && code != 206) {
                failure = client.statusError(code, info.headers(), meta.repoId(), "", meta.path());
                return HttpResponse.BodySubscribers.replacing(0L);
            }
            long start = 0;
            if (code == 206) {
                start = contentRangeStart(info.headers().firstValue("Content-Range").orElse(""));
                if (start != offset) {
                    failure = new HubException(HubException.Kind.NETWORK, code, meta.path() + ": server resumed at byte "
                            + start + " instead of " + offset, null);
                    try {
                        Files.deleteIfExists(incomplete);
                    } catch (IOException ignored) {
                        // the next attempt starts over anyway
                    }
                    hashedUpTo = -1;
                    return HttpResponse.BodySubscribers.replacing(0L);
                }
            } else if (offset > 0) {
                note.accept(meta.path() + ": the server ignored the Range request (200 instead of 206); "
                        + "starting this file over");
                digest = newDigest(meta);
                done.set(0);
            }
            try {
                Files.createDirectories(incomplete.getParent());
                FileChannel ch = start == 0
                        ? FileChannel.open(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)
                        : FileChannel.open(incomplete, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                writer = new Writer(ch, start);
                return writer;
            } catch (IOException e) {
                failure = new HubException(HubException.Kind.IO, 0, "cannot write " + incomplete + ": " + e.getMessage(), e);
                return HttpResponse.BodySubscribers.replacing(0L);
            }
        }

        /** Writes and hashes each buffer as it arrives; cancel closes the connection. */
        private final class Writer implements HttpResponse.BodySubscriber<Long> {
            private final FileChannel channel;
            private final CompletableFuture<Long> result = new CompletableFuture<>();
            private Flow.Subscription subscription;
            private long position;
            private long sinceSync;
            private boolean closed;

            Writer(FileChannel channel, long position) {
                this.channel = channel;
                this.position = position;
            }

            synchronized void abort() {
                if (subscription != null) {
                    subscription.cancel();
                }
                close();
                result.completeExceptionally(new DownloadCancelledException("aborted"));
            }

            private synchronized void close() {
                if (!closed) {
                    closed = true;
                    try {
                        channel.close();
                    } catch (IOException ignored) {
                        // nothing more to write
                    }
                }
            }

            @Override
            public synchronized void onSubscribe(Flow.Subscription s) {
                subscription = s;
                if (closed) {
                    s.cancel();
                } else {
                    s.request(1);
                }
            }

            @Override
            public synchronized void onNext(List<ByteBuffer> buffers) {
                if (closed) {
                    return;
                }
                try {
                    long n = 0;
                    for (ByteBuffer b : buffers) {
                        n += b.remaining();
                        if (digest != null) {
                            digest.update(b.duplicate());
                        }
                    }
                    // one gathering write per batch of the client's 16 kB buffers
                    ByteBuffer[] batch = buffers.toArray(new ByteBuffer[0]);
                    for (long left = n; left > 0; ) {
                        left -= channel.write(batch);
                    }
                    position += n;
                    sinceSync += n;
                    done.addAndGet(n);
                    transferred.addAndGet(n);
                    hashedUpTo = position;
                    if (sinceSync >= SYNC_EVERY) {
                        channel.force(false);
                        sinceSync = 0;
                    }
                    lastActivity = System.nanoTime();
                    if (cancelled.getAsBoolean()) {
                        abort();
                        return;
                    }
                    subscription.request(1);
                } catch (IOException e) {
                    subscription.cancel();
                    close();
                    result.completeExceptionally(e);
                }
            }

            @Override
            public synchronized void onError(Throwable t) {
                close();
                result.completeExceptionally(t);
            }

            @Override
            public synchronized void onComplete() {
                close();
                result.complete(position);
            }

            @Override
            public CompletionStage<Long> getBody() {
                return result;
            }
        }
    }

    static long contentRangeStart(String contentRange) {
        // "bytes 100-199/200"
        String v = contentRange.trim();
        if (!v.startsWith("bytes ")) {
            return -1;
        }
        int dash = v.indexOf('-');
        try {
            return Long.parseLong(v.substring(6, dash).trim());
        } catch (RuntimeException e) {
            return -1;
        }
    }
}

package studio.pixart.engine.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.ToLongFunction;
import studio.pixart.engine.model.PipelineFolder;

/**
 * Downloads a PixArt pipeline from the Hugging Face Hub into the hub cache, the way
 * {@code huggingface_hub.snapshot_download} lays it out, so diffusers and this engine share the
 * files. Per job: (1) resolve the revision and pick the pipeline's files, (2) HEAD each missing
 * file, (3) check free disk space, (4) transfer a few files at a time with resume and
 * verification, (5) link the snapshot and write the ref only when every file is verified, so a
 * failed or cancelled job never leaves a half model where the loader would find it.
 */
public final class HubDownloader {
    private final HubSettings settings;
    private final HubClient client;
    private final HubCache cache;
    private final ToLongFunction<Path> freeSpace;

    public HubDownloader(HubSettings settings) {
        this(settings, HubDownloader::usableSpace);
    }

    /** @param freeSpace bytes free for a folder (tests simulate a full disk with it) */
    public HubDownloader(HubSettings settings, ToLongFunction<Path> freeSpace) {
        this.settings = settings;
        this.client = new HubClient(settings);
        this.cache = new HubCache(settings.cacheDir());
        this.freeSpace = freeSpace;
    }

    public HubSettings settings() {
        return settings;
    }

    public HubCache cache() {
        return cache;
    }

    /** Starts a download on its own thread; see {@link DownloadJob}. */
    public DownloadJob start(DownloadRequest request, DownloadListener listener) {
        DownloadJob job = new DownloadJob(request);
        Thread t = new Thread(() -> {
            Run run = new Run(job, listener);
            try {
                job.result().complete(run.call());
            } catch (Throwable e) {
                job.progress(run.snapshot(e instanceof DownloadCancelledException
                        ? DownloadProgress.Phase.CANCELLED : DownloadProgress.Phase.FAILED));
                listener.onProgress(job.progress());
                job.result().completeExceptionally(e);
            }
        }, "pixart-download-" + request.repoId());
        t.setDaemon(true);
        t.start();
        return job;
    }

    /** Downloads and waits. */
    public DownloadResult download(DownloadRequest request, DownloadListener listener) throws InterruptedException {
        return start(request, listener).await();
    }

    static long usableSpace(Path dir) {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        try {
            return p == null ? Long.MAX_VALUE : Files.getFileStore(p).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    /** One file of the job. */
    private static final class Task {
        final String repoId;
        final String commit;
        final String path;
        volatile HubClient.FileMeta meta;
        volatile long size;
        volatile DownloadProgress.FileState state = DownloadProgress.FileState.QUEUED;
        volatile BlobTransfer transfer;
        volatile boolean inSnapshot;

        Task(String repoId, String commit, String path) {
            this.repoId = repoId;
            this.commit = commit;
            this.path = path;
        }

        long done() {
            return switch (state) {
                case DONE, REUSED -> size;
                default -> transfer == null ? 0 : transfer.done.get();
            };
        }
    }

    private final class Run {
        final DownloadJob job;
        final DownloadListener listener;
        final DownloadRequest req;
        final AtomicBoolean abort = new AtomicBoolean();
        final BooleanSupplier stop;
        final List<Task> tasks = new CopyOnWriteArrayList<>();
        final List<String> notes = new CopyOnWriteArrayList<>();
        final AtomicLong transferred = new AtomicLong();
        final ArrayDeque<long[]> samples = new ArrayDeque<>();
        volatile DownloadProgress.Phase phase = DownloadProgress.Phase.RESOLVING;

        Run(DownloadJob job, DownloadListener listener) {
            this.job = job;
            this.listener = listener;
            this.req = job.request();
            this.stop = () -> job.isCancelled() || abort.get();
        }

        void note(String m) {
            notes.add(m);
            listener.onNote(m);
        }

        void emit() {
            job.progress(snapshot(phase));
            listener.onProgress(job.progress());
        }

        DownloadProgress snapshot(DownloadProgress.Phase ph) {
            List<DownloadProgress.FileProgress> files = new ArrayList<>();
            long total = 0;
            long done = 0;
            for (Task t : tasks) {
                long d = t.done();
                files.add(new DownloadProgress.FileProgress(t.repoId, t.path, t.size, d, t.state));
                total += t.size;
                done += d;
            }
            long now = System.nanoTime();
            long bytes = transferred.get();
            double rate = 0;
            synchronized (samples) {
                samples.addLast(new long[] {now, bytes});
                while (samples.size() > 2 && now - samples.peekFirst()[0] > 5_000_000_000L) {
                    samples.removeFirst();
                }
                long[] first = samples.peekFirst();
                if (now - first[0] > 200_000_000L) {
                    rate = (bytes - first[1]) / ((now - first[0]) / 1e9);
                }
            }
            Duration eta = rate > 0 ? Duration.ofSeconds((long) Math.ceil((total - done) / rate)) : null;
            return new DownloadProgress(ph, List.copyOf(files), total, done, bytes, rate, eta);
        }

        DownloadResult call() throws Exception {
            emit();
            if (settings.offline()) {
                return offline();
            }
            // 1. resolve the revision and choose the pipeline's files
            HubClient.RepoListing main = client.listing(req.repoId(), req.revision(), stop);
            PipelineFiles.Selection sel = PipelineFiles.select(main.files(), req.variant(), null);
            if (sel.files().isEmpty() || sel.missingComponents().contains("transformer")) {
                throw new HubException(HubException.Kind.NOT_FOUND, 0, req.repoId() + "@" + req.revision()
                        + " is not a PixArt pipeline in diffusers format (no transformer/ with .safetensors weights)", null);
            }
            if (req.variant() != null && !sel.variantFound()) {
                note(req.repoId() + " has no " + req.variant() + " weights; downloading the full-precision files");
            }
            for (String f : sel.files()) {
                tasks.add(new Task(req.repoId(), main.commit(), f));
            }
            HubClient.RepoListing base = null;
            if (!sel.missingComponents().isEmpty()) {
                String baseId = req.baseRepoId() != null ? req.baseRepoId() : PipelineFolder.DEFAULT_SIGMA_BASE;
                note(req.repoId() + " has no " + String.join(", ", sel.missingComponents()) + "; they come from " + baseId);
                base = client.listing(baseId, "main", stop);
                Set<String> need = new LinkedHashSet<>(sel.missingComponents());
                PipelineFiles.Selection baseSel = PipelineFiles.select(base.files(), req.variant(), need);
                if (!baseSel.missingComponents().isEmpty()) {
                    throw new HubException(HubException.Kind.NOT_FOUND, 0, "the base " + baseId + " lacks "
                            + String.join(", ", baseSel.missingComponents()) + " too; give a complete pipeline with --base", null);
                }
                for (String f : baseSel.files()) {
                    tasks.add(new Task(baseId, base.commit(), f));
                }
            }
            // 2. what is already here; size and etag of the rest
            for (Task t : tasks) {
                if (cache.hasSnapshotFile(t.repoId, t.commit, t.path)) {
                    t.size = Files.size(cache.snapshotFile(t.repoId, t.commit, t.path));
                    t.inSnapshot = true;
                    t.state = DownloadProgress.FileState.REUSED;
                    continue;
                }
                t.meta = client.head(t.repoId, t.commit, t.path, stop);
                t.size = t.meta.size();
                Path blob = cache.blob(t.repoId, t.meta.etag());
                if (Files.isRegularFile(blob) && Files.size(blob) == t.size) {
                    t.state = DownloadProgress.FileState.REUSED;
                }
                emit();
            }
            // 3. free space, before anything is written
            long needed = 0;
            for (Task t : tasks) {
                if (t.state == DownloadProgress.FileState.QUEUED) {
                    Path part = cache.incomplete(t.repoId, t.meta.etag());
                    needed += t.size - (Files.isRegularFile(part) ? Math.min(t.size, Files.size(part)) : 0);
                }
            }
            long free = freeSpace.applyAsLong(cache.root());
            if (needed > free) {
                throw new HubException(HubException.Kind.DISK, 0, "not enough disk space in " + cache.root() + " for "
                        + req.repoId() + ": " + HubClient.describeSize(needed) + " still to download, "
                        + HubClient.describeSize(free) + " free. Free some space, or point HF_HUB_CACHE (or --cache-dir) "
                        + "at a larger disk", null);
            }
            // 4. transfer
            phase = DownloadProgress.Phase.DOWNLOADING;
            transferAll();
            // 5. link the snapshot(s), then the refs
            phase = DownloadProgress.Phase.FINISHING;
            emit();
            for (Task t : tasks) {
                if (!t.inSnapshot) {
                    cache.link(t.repoId, t.commit, t.path, t.meta.etag());
                }
            }
            Files.createDirectories(cache.snapshot(req.repoId(), main.commit()));
            cache.writeRef(req.repoId(), req.revision(), main.commit());
            if (base != null) {
                Files.createDirectories(cache.snapshot(base.repoId(), base.commit()));
                cache.writeRef(base.repoId(), "main", base.commit());
            }
            phase = DownloadProgress.Phase.DONE;
            emit();
            int downloaded = (int) tasks.stream().filter(t -> t.state == DownloadProgress.FileState.DONE).count();
            return new DownloadResult(req.modelSpec(), base == null ? null : base.repoId(), main.commit(),
                    cache.snapshot(req.repoId(), main.commit()), transferred.get(), downloaded,
                    tasks.size() - downloaded, List.copyOf(notes));
        }

        DownloadResult offline() {
            String commit = cache.commitOf(req.repoId(), req.revision());
            if (commit == null || !Files.isDirectory(cache.snapshot(req.repoId(), commit))) {
                throw new HubException(HubException.Kind.OFFLINE, 0, "HF_HUB_OFFLINE is set, so nothing is downloaded, and "
                        + req.modelSpec() + " is not in the cache " + cache.root() + "; unset HF_HUB_OFFLINE to download it", null);
            }
            note("HF_HUB_OFFLINE is set: using the copy in the cache without asking the hub");
            phase = DownloadProgress.Phase.DONE;
            emit();
            return new DownloadResult(req.modelSpec(), null, commit, cache.snapshot(req.repoId(), commit), 0, 0, 0, List.copyOf(notes));
        }

        void transferAll() throws Exception {
            List<Task> queued = tasks.stream().filter(t -> t.state == DownloadProgress.FileState.QUEUED).toList();
            if (queued.isEmpty()) {
                return;
            }
            AtomicInteger n = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(settings.parallelFiles(), queued.size()), r -> {
                Thread th = new Thread(r, "pixart-download-file-" + n.incrementAndGet());
                th.setDaemon(true);
                return th;
            });
            List<Future<?>> futures = new ArrayList<>();
            try {
                for (Task t : queued) {
                    futures.add(pool.submit(() -> {
                        transferOne(t);
                        return null;
                    }));
                }
                Throwable failure = null;
                for (Future<?> f : futures) {
                    while (true) {
                        try {
                            f.get(200, TimeUnit.MILLISECONDS);
                            break;
                        } catch (TimeoutException e) {
                            emit();
                        } catch (ExecutionException e) {
                            Throwable c = e.getCause();
                            // the first real failure wins over the cancels it causes in the others
                            if (failure == null || failure instanceof DownloadCancelledException && !(c instanceof DownloadCancelledException)) {
                                failure = c;
                            }
                            abort.set(true);
                            break;
                        }
                    }
                }
                if (failure != null) {
                    if (job.isCancelled()) {
                        throw new DownloadCancelledException("download of " + req.repoId() + " cancelled; "
                                + "partial files are kept and resume next time");
                    }
                    throw failure instanceof Exception ex ? ex : new RuntimeException(failure);
                }
            } finally {
                abort.set(true);
                pool.shutdownNow();
                pool.awaitTermination(5, TimeUnit.SECONDS);
            }
        }

        void transferOne(Task t) throws IOException {
            Path blob = cache.blob(t.repoId, t.meta.etag());
            Path part = cache.incomplete(t.repoId, t.meta.etag());
            Path lockPath = cache.lockFile(t.repoId, t.meta.etag());
            Files.createDirectories(lockPath.getParent());
            Files.createDirectories(blob.getParent());
            try (FileChannel lockChannel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = acquire(lockChannel, t)) {
                if (Files.isRegularFile(blob) && Files.size(blob) == t.size) {
                    t.state = DownloadProgress.FileState.REUSED; // another process finished it meanwhile
                    return;
                }
                t.state = DownloadProgress.FileState.DOWNLOADING;
                t.transfer = new BlobTransfer(client, t.meta, part, transferred, stop, this::note);
                try {
                    t.transfer.run();
                } catch (HubException | DownloadCancelledException e) {
                    t.state = e instanceof DownloadCancelledException ? DownloadProgress.FileState.QUEUED : DownloadProgress.FileState.FAILED;
                    throw e;
                } catch (IOException e) {
                    t.state = DownloadProgress.FileState.FAILED;
                    String m = String.valueOf(e.getMessage());
                    throw new HubException(m.contains("No space left") ? HubException.Kind.DISK : HubException.Kind.IO, 0,
                            (m.contains("No space left") ? "disk full while writing " : "cannot write ") + part + ": " + m, e);
                }
                t.state = DownloadProgress.FileState.VERIFYING;
                try {
                    Files.move(part, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(part, blob, StandardCopyOption.REPLACE_EXISTING);
                }
                t.state = DownloadProgress.FileState.DONE;
            }
        }

        /** The blob's lock; waits (cancellably) while another download of the same blob holds it. */
        FileLock acquire(FileChannel channel, Task t) throws IOException {
            boolean told = false;
            while (true) {
                if (stop.getAsBoolean()) {
                    throw new DownloadCancelledException("cancelled");
                }
                try {
                    FileLock l = channel.tryLock();
                    if (l != null) {
                        return l;
                    }
                } catch (OverlappingFileLockException sameProcess) {
                    // another job in this process has it
                }
                if (!told) {
                    t.state = DownloadProgress.FileState.WAITING_FOR_LOCK;
                    note(t.path + ": another download of this file is running; waiting for it");
                    told = true;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DownloadCancelledException("interrupted");
                }
            }
        }
    }
}

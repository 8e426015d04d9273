package studio.pixart.engine.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.PipelineOptions;
import studio.pixart.engine.pipeline.PixArtPipeline;

/** The downloader against a hub on the loopback interface serving the tiny golden pipelines. */
class HubDownloadTest {
    static final String REPO = "PixArt-alpha/tiny-pixart-sigma";
    static final Path TINY = Golden.model("tiny-pixart-sigma");
    static final String T_WEIGHTS = "transformer/diffusion_pytorch_model.safetensors";
    static final String VAE_WEIGHTS = "vae/diffusion_pytorch_model.safetensors";

    @TempDir
    Path tmp;
    HubTestServer hub;
    HubTestServer.Repo repo;
    Path cacheDir;
    final List<String> notes = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        hub = new HubTestServer();
        repo = hub.addRepo(REPO, TINY);
        cacheDir = tmp.resolve("hub");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubSettings settings() {
        return new HubSettings(hub.endpoint(), cacheDir, null, false, 3, 4, 3, Duration.ofMillis(10), Duration.ofSeconds(10));
    }

    DownloadResult download(HubSettings s, DownloadRequest req) throws InterruptedException {
        return new HubDownloader(s).download(req, new DownloadListener() {
            @Override
            public void onProgress(DownloadProgress p) {}

            @Override
            public void onNote(String m) {
                notes.add(m);
            }
        });
    }

    DownloadResult download() throws InterruptedException {
        return download(settings(), DownloadRequest.of(REPO));
    }

    long lfsCount() {
        return repo.files().values().stream().filter(HubTestServer.RepoFile::lfs).count();
    }

    static long totalSize(HubTestServer.Repo r) {
        return r.files().values().stream().mapToLong(HubTestServer.RepoFile::size).sum();
    }

    void assertSnapshotEqualsSource(DownloadResult r) throws IOException {
        for (HubTestServer.RepoFile f : repo.files().values()) {
            Path got = r.snapshot().resolve(f.path());
            assertTrue(Files.isSymbolicLink(got), f.path() + " is a symlink into blobs/");
            Path link = Files.readSymbolicLink(got);
            assertFalse(link.isAbsolute(), "relative link " + link);
            String etag = f.lfs() ? f.sha256() : f.gitSha1();
            assertEquals(got.getParent().resolve(link).normalize(), cacheDir.resolve("models--PixArt-alpha--tiny-pixart-sigma/blobs/" + etag));
            assertArrayEquals(Files.readAllBytes(f.source()), Files.readAllBytes(got), f.path());
        }
        try (Stream<Path> s = Files.walk(cacheDir)) {
            assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".incomplete")).toList());
        }
    }

    @Test
    void cleanDownloadEqualsTheSourceLoadsAndGenerates() throws Exception {
        DownloadResult r = download();
        assertEquals(repo.commit(), r.commit());
        assertEquals(cacheDir.resolve("models--PixArt-alpha--tiny-pixart-sigma/snapshots/" + repo.commit()), r.snapshot());
        assertEquals(repo.commit(), Files.readString(cacheDir.resolve("models--PixArt-alpha--tiny-pixart-sigma/refs/main")));
        assertSnapshotEqualsSource(r);
        assertEquals(totalSize(repo), r.bytesTransferred());
        assertEquals(repo.files().size(), r.filesDownloaded());
        // large files came from the file host, small ones from the hub
        assertEquals(lfsCount(), hub.count("GET", "/cdn/"));

        ModelLocator locator = new ModelLocator(Map.of("HF_HUB_CACHE", cacheDir.toString()));
        assertEquals(r.snapshot(), locator.locate(REPO));
        PipelineFolder downloaded = PipelineFolder.open(REPO, null, locator).requireComplete();
        GenerationRequest req = GenerationRequest.of(REPO, "a red fox").withSize(16, 16).withBinning(false);
        // the files are byte-identical to the source (above); here the engine runs on the cache copy
        try (PixArtPipeline p = PixArtPipeline.load(downloaded, PipelineOptions.cpu(), null)) {
            RgbImage image = p.generate(req, null, () -> false).images().get(0);
            assertEquals(16, image.width());
            float[] px = image.samples();
            assertTrue(IntStream.range(1, px.length).anyMatch(i -> px[i] != px[0]) && IntStream.range(0, px.length)
                    .allMatch(i -> Float.isFinite(px[i])), "a real image");
        }
    }

    @Test
    void aSecondDownloadReusesTheBlobsAndTransfersNothing() throws Exception {
        download();
        long served = hub.bodyBytes.get();
        long heads = hub.count("HEAD", "/resolve/");
        DownloadResult again = download();
        assertEquals(0, again.bytesTransferred());
        assertEquals(served, hub.bodyBytes.get());
        assertEquals(heads, hub.count("HEAD", "/resolve/"), "files already in the snapshot are not even asked about");
        // without the snapshot links, the blobs are still found by etag: HEADs only, no bytes
        deleteTree(cacheDir.resolve("models--PixArt-alpha--tiny-pixart-sigma/snapshots"));
        DownloadResult relinked = download();
        assertEquals(0, relinked.bytesTransferred());
        assertEquals(served, hub.bodyBytes.get());
        assertSnapshotEqualsSource(relinked);
    }

    @Test
    void aDroppedConnectionResumesWithRangeAndEndsIdentical() throws Exception {
        hub.dropAfter(T_WEIGHTS, 30_000, 1);
        DownloadResult r = download();
        assertSnapshotEqualsSource(r);
        String sha = repo.files().get(T_WEIGHTS).sha256();
        assertTrue(hub.seen.stream().anyMatch(s -> s.path().equals("/cdn/" + sha) && "bytes=30000-".equals(s.range())),
                "resumed with a Range from the byte where the connection dropped: " + hub.seen);
        // nothing sent twice: the dropped part plus the rest is exactly the repo
        assertEquals(totalSize(repo), hub.bodyBytes.get());
        assertTrue(notes.stream().anyMatch(n -> n.contains(T_WEIGHTS) && n.contains("resuming")), notes.toString());
    }

    @Test
    void aStalledTransferCountsAsDroppedAndResumes() throws Exception {
        hub.stallAfter(T_WEIGHTS, 20_000, 10_000);
        HubSettings s = settings().withRetries(4, 3, Duration.ofMillis(10), Duration.ofSeconds(1));
        long t0 = System.nanoTime();
        DownloadResult r = download(s, DownloadRequest.of(REPO));
        assertTrue(System.nanoTime() - t0 < 8_000_000_000L, "did not wait for the stalled server");
        assertSnapshotEqualsSource(r);
        assertTrue(notes.stream().anyMatch(n -> n.contains("no data for 1 s")), notes.toString());
        String sha = repo.files().get(T_WEIGHTS).sha256();
        assertTrue(hub.seen.stream().anyMatch(x -> x.path().equals("/cdn/" + sha) && "bytes=20000-".equals(x.range())), hub.seen.toString());
    }

    @Test
    void aServerThatIgnoresRangeIsHandledByStartingTheFileOver() throws Exception {
        hub.dropAfter(T_WEIGHTS, 30_000, 1);
        hub.ignoreRange(T_WEIGHTS);
        DownloadResult r = download();
        assertSnapshotEqualsSource(r);
        assertEquals(totalSize(repo) + 30_000, hub.bodyBytes.get());
        assertTrue(notes.stream().anyMatch(n -> n.contains("ignored the Range")), notes.toString());
    }

    @Test
    void aCorruptPartialFileIsDiscardedAndFetchedAgain() throws Exception {
        HubTestServer.RepoFile t = repo.files().get(T_WEIGHTS);
        Path part = cacheDir.resolve("models--PixArt-alpha--tiny-pixart-sigma/blobs/" + t.sha256() + ".incomplete");
        Files.createDirectories(part.getParent());
        Files.write(part, new byte[20_000]); // zeros: not the file's first bytes
        DownloadResult r = download();
        assertSnapshotEqualsSource(r);
        assertTrue(notes.stream().anyMatch(n -> n.contains("checksum mismatch")), notes.toString());
        String sha = t.sha256();
        assertTrue(hub.seen.stream().anyMatch(s -> s.path().equals("/cdn/" + sha) && "bytes=20000-".equals(s.range())));
        assertTrue(hub.seen.stream().anyMatch(s -> s.path().equals("/cdn/" + sha) && s.range() == null));
    }

    @Test
    void aBlobWhoseSha256MismatchesIsDeletedAndFetchedAgain() throws Exception {
        hub.corrupt(VAE_WEIGHTS, 1);
        DownloadResult r = download();
        assertSnapshotEqualsSource(r);
        assertEquals(2, hub.count("GET", "/cdn/" + repo.files().get(VAE_WEIGHTS).sha256()));
        assertTrue(notes.stream().anyMatch(n -> n.contains(VAE_WEIGHTS) && n.contains("checksum mismatch")), notes.toString());
    }

    @Test
    void aBlobCorruptedEveryTimeFailsTheJobAndLeavesNothingInSnapshots() throws Exception {
        hub.corrupt(VAE_WEIGHTS, 100);
        HubException e = assertThrows(HubException.class, this::download);
        assertEquals(HubException.Kind.VERIFY, e.kind());
        assertTrue(e.getMessage().contains(VAE_WEIGHTS) && e.getMessage().contains("corrupted 3 times"), e.getMessage());
        Path repoDir = cacheDir.resolve("models--PixArt-alpha--tiny-pixart-sigma");
        assertFalse(Files.exists(repoDir.resolve("snapshots")), "no snapshot for a failed job");
        assertFalse(Files.exists(repoDir.resolve("refs")));
        String sha = repo.files().get(VAE_WEIGHTS).sha256();
        assertFalse(Files.exists(repoDir.resolve("blobs/" + sha)));
        assertFalse(Files.exists(repoDir.resolve("blobs/" + sha + ".incomplete")));
        assertEquals(3, hub.count("GET", "/cdn/" + sha));
    }

    @Test
    void eachHttpFailureHasItsOwnMessage() throws Exception {
        hub.status("/api/models/", 401, 1);
        HubException e401 = assertThrows(HubException.class, this::download);
        assertEquals(HubException.Kind.AUTH, e401.kind());
        assertTrue(e401.getMessage().startsWith("this model needs a Hugging Face token") && e401.getMessage().contains("401")
                && e401.getMessage().contains("HF_TOKEN"), e401.getMessage());

        hub.status("/api/models/", 401, 1);
        HubException rejected = assertThrows(HubException.class, () -> download(settings().withToken("hf_bad"), DownloadRequest.of(REPO)));
        assertTrue(rejected.getMessage().contains("token given was rejected"), rejected.getMessage());

        hub.status("/resolve/", 403, 1);
        HubException e403 = assertThrows(HubException.class, this::download);
        assertEquals(HubException.Kind.ACCESS, e403.kind());
        assertTrue(e403.getMessage().contains("403 Forbidden") && e403.getMessage().contains("ccept the model's licence"), e403.getMessage());

        HubException e404 = assertThrows(HubException.class, () -> download(settings(), DownloadRequest.of("PixArt-alpha/no-such-model")));
        assertEquals(HubException.Kind.NOT_FOUND, e404.kind());
        assertTrue(e404.getMessage().contains("PixArt-alpha/no-such-model was not found"), e404.getMessage());
        HubException rev = assertThrows(HubException.class, () -> download(settings(), new DownloadRequest(REPO, "v9", null, null)));
        assertTrue(rev.getMessage().contains("has no revision 'v9'"), rev.getMessage());

        hub.status("/cdn/", 416, 100);
        HubException e416 = assertThrows(HubException.class, this::download);
        assertEquals(HubException.Kind.RANGE, e416.kind());
        assertTrue(e416.getMessage().contains("416 Range Not Satisfiable"), e416.getMessage());
        hub.status("/cdn/", 416, 0);

        hub.status("/api/models/", 500, 100);
        HubException e500 = assertThrows(HubException.class, this::download);
        assertEquals(HubException.Kind.SERVER, e500.kind());
        assertTrue(e500.getMessage().contains("server error (500)") && e500.getMessage().contains("gave up after 4 tries"),
                e500.getMessage());
        assertEquals(HubException.Kind.NOT_FOUND, e404.kind());
        // every message is different
        assertEquals(6, Stream.of(e401, rejected, e403, e404, e416, e500).map(Throwable::getMessage).distinct().count());
    }

    @Test
    void serverErrorsAreRetriedWithBackoff() throws Exception {
        hub.status("/api/models/", 500, 2);
        hub.status("/cdn/", 503, 2);
        DownloadResult r = download();
        assertSnapshotEqualsSource(r);
        assertEquals(3, hub.count("GET", "/api/models/"));
    }

    @Test
    void aRedirectToAnotherHostWorksAndTheTokenStaysWithTheHub() throws Exception {
        hub.fileHost("http://localhost:" + hub.port());
        DownloadResult r = download(settings().withToken("hf_secret"), DownloadRequest.of(REPO));
        assertSnapshotEqualsSource(r);
        List<HubTestServer.Seen> cdn = hub.seen.stream().filter(s -> s.path().startsWith("/cdn/")).toList();
        assertEquals(lfsCount(), cdn.size());
        assertTrue(cdn.stream().allMatch(s -> s.authorization() == null), "no token sent to the file host");
        assertTrue(hub.seen.stream().filter(s -> s.path().contains("/resolve/")).allMatch(s -> "Bearer hf_secret".equals(s.authorization())));
    }

    @Test
    void aRelativeRedirectIsFollowedOnTheHub() throws Exception {
        hub.fileHost("");
        DownloadResult r = download();
        assertSnapshotEqualsSource(r);
        assertEquals(lfsCount(), hub.count("HEAD", "/cdn/"), "HEAD follows relative redirects");
    }

    @Test
    void cancelDuringASlowTransferStopsWithinASecondAndKeepsThePartialForResume() throws Exception {
        hub.throttle(100_000);
        HubDownloader d = new HubDownloader(settings());
        DownloadJob job = d.start(DownloadRequest.of(REPO), DownloadListener.NONE);
        long until = System.nanoTime() + 20_000_000_000L;
        while (job.progress().transferredBytes() < 60_000 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertTrue(job.progress().transferredBytes() >= 60_000, "transfer started");
        long t0 = System.nanoTime();
        job.cancel();
        // a cancelled job's future ends with the cancel itself (CompletableFuture rethrows cancellations)
        assertThrows(DownloadCancelledException.class, () -> job.result().get(1, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "stopped within a second");
        assertEquals(DownloadProgress.Phase.CANCELLED, job.progress().phase());
        Path repoDir = cacheDir.resolve("models--PixArt-alpha--tiny-pixart-sigma");
        assertFalse(Files.exists(repoDir.resolve("snapshots")));
        long partial = 0;
        long missing = 0;
        for (HubTestServer.RepoFile f : repo.files().values()) {
            Path blob = repoDir.resolve("blobs/" + (f.lfs() ? f.sha256() : f.gitSha1()));
            Path part = Path.of(blob + ".incomplete");
            if (!Files.exists(blob)) {
                long have = Files.exists(part) ? Files.size(part) : 0;
                partial += have;
                missing += f.size() - have;
            }
        }
        assertTrue(partial > 0, "partial files kept");
        hub.throttle(0);
        DownloadResult r = download();
        assertSnapshotEqualsSource(r);
        assertEquals(missing, r.bytesTransferred(), "the resume fetched only what was missing");
    }

    @Test
    void notEnoughDiskSpaceRefusesBeforeWritingAnything() throws Exception {
        HubDownloader d = new HubDownloader(settings(), dir -> 1000);
        HubException e = assertThrows(HubException.class, () -> d.download(DownloadRequest.of(REPO), DownloadListener.NONE));
        assertEquals(HubException.Kind.DISK, e.kind());
        assertTrue(e.getMessage().contains("not enough disk space") && e.getMessage().contains("1000 B free")
                && e.getMessage().contains(HubClient.describeSize(totalSize(repo)) + " still to download"), e.getMessage());
        assertEquals(0, hub.count("GET", "/cdn/"));
        if (Files.exists(cacheDir)) {
            try (Stream<Path> s = Files.walk(cacheDir)) {
                assertEquals(List.of(), s.filter(Files::isRegularFile).toList());
            }
        }
    }

    @Test
    void offlineModeUsesTheCacheOrSaysWhyItCannot() throws Exception {
        HubException e = assertThrows(HubException.class, () -> download(settings().withOffline(true), DownloadRequest.of(REPO)));
        assertEquals(HubException.Kind.OFFLINE, e.kind());
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());
        assertEquals(0, hub.seen.size());
        DownloadResult online = download();
        int requests = hub.seen.size();
        DownloadResult offline = download(settings().withOffline(true), DownloadRequest.of(REPO));
        assertEquals(online.snapshot(), offline.snapshot());
        assertEquals(requests, hub.seen.size(), "offline asks nothing");
    }

    @Test
    void aTransformerOnlyRepoBringsItsBaseAndOpens() throws Exception {
        Path transformerOnly = tmp.resolve("t-only");
        Path base = tmp.resolve("base");
        copyTree(TINY.resolve("transformer"), transformerOnly.resolve("transformer"));
        copyTree(TINY, base);
        deleteTree(base.resolve("transformer"));
        hub.addRepo("PixArt-alpha/tiny-2K", transformerOnly);
        hub.addRepo(PipelineFolder.DEFAULT_SIGMA_BASE, base);
        DownloadResult r = download(settings(), DownloadRequest.of("PixArt-alpha/tiny-2K"));
        assertEquals(PipelineFolder.DEFAULT_SIGMA_BASE, r.baseSpec());
        assertTrue(notes.stream().anyMatch(n -> n.contains("has no text_encoder, tokenizer, vae, scheduler")), notes.toString());
        ModelLocator locator = new ModelLocator(Map.of("HF_HUB_CACHE", cacheDir.toString()));
        PipelineFolder f = PipelineFolder.open("PixArt-alpha/tiny-2K", null, locator);
        assertEquals(List.of(), f.problems());
        assertTrue(f.component("vae").startsWith(cacheDir.resolve(HubCache.folderName(PipelineFolder.DEFAULT_SIGMA_BASE))));
    }

    @Test
    void theEnvironmentPicksEndpointCacheTokenAndOfflineLikeHuggingfaceHub() throws IOException {
        Path home = tmp.resolve("hf-home");
        Files.createDirectories(home);
        Files.writeString(home.resolve("token"), "hf_from_file\n");
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_ENDPOINT", "http://mirror.local:8080/",
                "HF_HUB_OFFLINE", "1"));
        assertEquals("http://mirror.local:8080", s.endpoint().toString());
        assertEquals(home.resolve("hub"), s.cacheDir());
        assertEquals("hf_from_file", s.token());
        assertTrue(s.offline());
        HubSettings env = HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_TOKEN", "hf_env", "HF_HUB_CACHE", "/x/y"));
        assertEquals("hf_env", env.token());
        assertEquals(Path.of("/x/y"), env.cacheDir());
        assertEquals(HubSettings.DEFAULT_ENDPOINT, env.endpoint().toString());
        assertFalse(env.offline());
        assertNull(HubSettings.fromEnvironment(Map.of("HOME", tmp.toString())).token());
        assertNotNull(s);
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }
}

package studio.pixart.engine.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.cli.PixArtCli;

/** {@code pixart download} against the loopback hub, including a JVM killed mid-download. */
class DownloadCliTest {
    static final String REPO = "PixArt-alpha/tiny-pixart-sigma";

    @TempDir
    Path tmp;
    HubTestServer hub;
    HubTestServer.Repo repo;

    record Run(int code, String out, String err) {}

    @BeforeEach
    void start() throws IOException {
        hub = new HubTestServer();
        repo = hub.addRepo(REPO, Golden.model("tiny-pixart-sigma"));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PixArtCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void downloadPrintsPlainProgressAndTheSnapshotPath() throws IOException {
        Path cache = tmp.resolve("hub");
        Run r = cli("download", REPO, "--endpoint", hub.endpoint().toString(), "--cache-dir", cache.toString());
        assertEquals(0, r.code, r.err);
        Path snapshot = cache.resolve("models--PixArt-alpha--tiny-pixart-sigma/snapshots/" + repo.commit());
        assertEquals(snapshot.toString(), r.out.trim());
        assertTrue(r.err.contains("verified transformer/diffusion_pytorch_model.safetensors"), r.err);
        assertTrue(r.err.contains("done: " + repo.files().size() + " files downloaded"), r.err);
        assertTrue(r.err.contains("pixart generate --model " + REPO), r.err);
        assertFalse(r.err.contains("\r"), "no bar redrawing without a terminal");
        Run again = cli("download", REPO + "@" + repo.commit(), "--endpoint", hub.endpoint().toString(), "--cache-dir", cache.toString());
        assertEquals(0, again.code, again.err);
        assertTrue(again.err.contains("done: 0 files downloaded (0.0 kB), " + repo.files().size() + " already in the cache"), again.err);
    }

    @Test
    void listShowsTheCatalogueWithSizesMemoryAndLicence() {
        Run r = cli("download", "--list");
        assertEquals(0, r.code, r.err);
        for (String id : List.of("sigma-512", "sigma-1024", "sigma-2k", "alpha-512", "alpha-1024", "lcm-1024", "dmd-512")) {
            assertTrue(r.out.contains(id), id + " in " + r.out);
        }
        assertTrue(r.out.contains("PixArt-alpha/PixArt-Sigma-XL-2-1024-MS") && r.out.contains("GB RAM") && r.out.contains("openrail++"), r.out);
        ModelCatalogue c = ModelCatalogue.load();
        assertEquals("PixArt-alpha/PixArt-Sigma-XL-2-1024-MS", c.defaultEntry().repo());
        ModelCatalogue.Entry twoK = c.find("sigma-2k");
        assertTrue(twoK.transformerOnly());
        assertEquals("PixArt-alpha/pixart_sigma_sdxlvae_T5_diffusers", twoK.base());
        assertEquals(twoK, c.find("PixArt-alpha/PixArt-Sigma-XL-2-2K-MS"));
    }

    @Test
    void errorsHaveTheirMessageAndExitCode() {
        Run missing = cli("download", "PixArt-alpha/nope", "--endpoint", hub.endpoint().toString(), "--cache-dir", tmp.toString());
        assertEquals(1, missing.code);
        assertTrue(missing.err.contains("error: model PixArt-alpha/nope was not found"), missing.err);
        assertEquals(2, cli("download").code);
        Run badId = cli("download", "sigma-4096");
        assertEquals(2, badId.code);
        assertTrue(badId.err.contains("'sigma-4096' is not a hub model id") && badId.err.contains("--list"), badId.err);
        Run badVariant = cli("download", REPO, "--variant", "fp-16!");
        assertEquals(2, badVariant.code);
        assertTrue(badVariant.err.contains("--variant 'fp-16!'"), badVariant.err);
    }

    @Test
    void aKilledDownloadResumesFromThePartialFile() throws Exception {
        Path cache = tmp.resolve("hub");
        hub.throttle(40_000);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PixArtCli.class.getName(),
                "download", REPO, "--endpoint", hub.endpoint().toString(), "--cache-dir", cache.toString(), "--jobs", "1"));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        Path blobs = cache.resolve("models--PixArt-alpha--tiny-pixart-sigma/blobs");
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (partialBytes(blobs) < 30_000 && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(child.isAlive(), "the child was still downloading: " + Files.readString(tmp.resolve("child.log")));
        child.destroyForcibly();
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        long servedBeforeKill = hub.bodyBytes.get();

        Map<String, Long> partial = new HashMap<>();
        long missing = 0;
        for (HubTestServer.RepoFile f : repo.files().values()) {
            String etag = f.lfs() ? f.sha256() : f.gitSha1();
            Path part = blobs.resolve(etag + ".incomplete");
            if (!Files.exists(blobs.resolve(etag))) {
                long have = Files.exists(part) ? Files.size(part) : 0;
                if (have > 0) {
                    partial.put(etag, have);
                }
                missing += f.size() - have;
            }
        }
        assertFalse(partial.isEmpty(), "a partial file survived the kill");
        assertFalse(Files.exists(cache.resolve("models--PixArt-alpha--tiny-pixart-sigma/snapshots")));

        hub.throttle(0);
        DownloadResult r = new HubDownloader(new HubSettings(hub.endpoint(), cache, null, false, 3, 4, 3,
                Duration.ofMillis(10), Duration.ofSeconds(10))).download(DownloadRequest.of(REPO), DownloadListener.NONE);
        for (Map.Entry<String, Long> e : partial.entrySet()) {
            assertTrue(hub.seen.stream().anyMatch(s -> s.path().endsWith(e.getKey()) && ("bytes=" + e.getValue() + "-").equals(s.range())),
                    "resumed " + e.getKey() + " at byte " + e.getValue());
        }
        assertEquals(missing, r.bytesTransferred(), "only the missing bytes were fetched again");
        for (HubTestServer.RepoFile f : repo.files().values()) {
            assertArrayEquals(Files.readAllBytes(f.source()), Files.readAllBytes(r.snapshot().resolve(f.path())), f.path());
        }
        long reTransferred = hub.bodyBytes.get() - HubDownloadTest.totalSize(repo);
        System.out.printf("kill-resume: %d bytes on disk as partial files at the kill, %d bytes sent before the kill, "
                + "%d bytes re-transferred in total%n", partial.values().stream().mapToLong(Long::longValue).sum(),
                servedBeforeKill, reTransferred);
        assertTrue(reTransferred <= servedBeforeKill, "re-sent at most what was in flight at the kill");
    }

    static long partialBytes(Path blobs) throws IOException {
        if (!Files.isDirectory(blobs)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(blobs)) {
            return s.filter(p -> p.toString().endsWith(".incomplete")).mapToLong(p -> p.toFile().length()).max().orElse(0);
        }
    }
}

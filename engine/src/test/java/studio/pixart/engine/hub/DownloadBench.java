package studio.pixart.engine.hub;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;

/**
 * Download benchmark (not a unit test): a file of random bytes served by the loopback hub, fetched
 * by {@link HubDownloader} (write + sha256 + atomic move into the cache) and by {@code curl -o}
 * from the same server in the same run; then the CPU time of sha256 per GB, and the bytes
 * re-transferred when the connection drops halfway. Run it as README "Downloading models" says.
 *
 * <p>Arguments: [size in MB, default 1024] [work folder, default /tmp/pixart-download-bench].
 */
public final class DownloadBench {
    public static void main(String[] args) throws Exception {
        long mb = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        Path work = Path.of(args.length > 1 ? args[1] : "/tmp/pixart-download-bench");
        Path src = work.resolve("repo/transformer");
        Files.createDirectories(src);
        Path blob = src.resolve("diffusion_pytorch_model.safetensors");
        long size = mb << 20;
        if (!Files.exists(blob) || Files.size(blob) != size) {
            Random rnd = new Random(42);
            byte[] buf = new byte[1 << 20];
            try (OutputStream out = Files.newOutputStream(blob)) {
                for (long i = 0; i < mb; i++) {
                    rnd.nextBytes(buf);
                    out.write(buf);
                }
            }
        }
        Files.writeString(src.resolve("config.json"), "{\"_class_name\": \"PixArtTransformer2DModel\"}");
        // the other components, tiny: the benchmark is about the one large file
        Path repoDir = work.resolve("repo");
        Files.writeString(repoDir.resolve("model_index.json"), "{\"_class_name\": \"PixArtSigmaPipeline\"}");
        for (String f : new String[] {"scheduler/scheduler_config.json", "text_encoder/config.json",
                "text_encoder/model.safetensors", "tokenizer/spiece.model", "vae/config.json", "vae/diffusion_pytorch_model.safetensors"}) {
            Files.createDirectories(repoDir.resolve(f).getParent());
            Files.writeString(repoDir.resolve(f), "{}");
        }
        System.out.printf(Locale.ROOT, "load average at start: %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
        try (HubTestServer hub = new HubTestServer()) {
            HubTestServer.Repo repo = hub.addRepo("bench/random", work.resolve("repo"));
            String sha = repo.files().get("transformer/diffusion_pytorch_model.safetensors").sha256();
            String url = hub.endpoint() + "/cdn/" + sha;
            double bestCurl = 0;
            double bestOurs = 0;
            for (int round = 1; round <= 2; round++) {
                Path curlOut = work.resolve("curl.out");
                Files.deleteIfExists(curlOut);
                long t0 = System.nanoTime();
                Process p = new ProcessBuilder("curl", "-sS", "-o", curlOut.toString(), url).inheritIO().start();
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("curl failed");
                }
                double curlS = (System.nanoTime() - t0) / 1e9;
                Files.deleteIfExists(curlOut);

                Path cache = work.resolve("cache");
                HubDownloadTest.deleteTree(cache);
                HubSettings s = new HubSettings(hub.endpoint(), cache, null, false, 3, 5, 3, Duration.ofMillis(100), Duration.ofSeconds(30));
                long t1 = System.nanoTime();
                DownloadResult r = new HubDownloader(s).download(DownloadRequest.of("bench/random"), DownloadListener.NONE);
                double oursS = (System.nanoTime() - t1) / 1e9;
                HubDownloadTest.deleteTree(cache);
                double curlMBs = size / 1048576.0 / curlS;
                double oursMBs = r.bytesTransferred() / 1048576.0 / oursS;
                System.out.printf(Locale.ROOT, "round %d: curl %.1f MB/s (%.2f s), pixart %.1f MB/s (%.2f s, incl. sha256 + move), ratio %.2f%n",
                        round, curlMBs, curlS, oursMBs, oursS, oursMBs / curlMBs);
                bestCurl = Math.max(bestCurl, curlMBs);
                bestOurs = Math.max(bestOurs, oursMBs);
            }
            System.out.printf(Locale.ROOT, "best of 2: curl %.1f MB/s, pixart %.1f MB/s, ratio %.2f%n", bestCurl, bestOurs, bestOurs / bestCurl);

            // sha256 CPU time per GB (this thread's CPU time, 64 MB buffer hashed to 1 GB)
            ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
            byte[] buf = new byte[64 << 20];
            new Random(1).nextBytes(buf);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(buf); // warm-up
            long c0 = tmx.getCurrentThreadCpuTime();
            for (int i = 0; i < 16; i++) {
                md.update(buf);
            }
            md.digest();
            double cpuPerGb = (tmx.getCurrentThreadCpuTime() - c0) / 1e9;
            System.out.printf(Locale.ROOT, "sha256: %.2f s CPU per GB (%.0f MB/s on one core)%n", cpuPerGb, 1024 / cpuPerGb);

            // a connection dropped halfway: bytes re-transferred
            Path cache = work.resolve("cache");
            HubDownloadTest.deleteTree(cache);
            long before = hub.bodyBytes.get();
            hub.dropAfter("transformer/diffusion_pytorch_model", size / 2, 1);
            HubSettings s = new HubSettings(hub.endpoint(), cache, null, false, 3, 5, 3, Duration.ofMillis(100), Duration.ofSeconds(30));
            DownloadResult r = new HubDownloader(s).download(DownloadRequest.of("bench/random"), DownloadListener.NONE);
            long served = hub.bodyBytes.get() - before;
            // files with the same content share one blob and are fetched once
            long repoBytes = repo.files().values().stream().collect(java.util.stream.Collectors.toMap(
                    f -> f.lfs() ? f.sha256() : f.gitSha1(), HubTestServer.RepoFile::size, (a, b) -> a)).values()
                    .stream().mapToLong(Long::longValue).sum();
            System.out.printf(Locale.ROOT, "drop at 50%%: %d bytes served for a %d byte repo: %d bytes re-transferred; resumed: %s%n",
                    served, repoBytes, served - repoBytes, r.notes().stream().anyMatch(n -> n.contains("resuming")));
            HubDownloadTest.deleteTree(cache);
        }
        System.out.printf(Locale.ROOT, "load average at end: %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
    }
}

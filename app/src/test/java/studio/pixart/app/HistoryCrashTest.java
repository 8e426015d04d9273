package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.history.HistoryStore;
import studio.pixart.app.io.ImageFiles;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.engine.image.RgbImage;

/**
 * kill -9 during history writes: a child JVM adds entries (row + full PNG) to the studio's H2
 * history as fast as it can and is killed at a random moment. The database must open again, hold
 * every entry the child reported as committed and at most the one in flight besides, and every
 * stored entry's image must be a complete PNG.
 */
class HistoryCrashTest {
    @TempDir
    Path dir;

    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path data = Paths.get(args[0]);
            Random r = new Random(Long.parseLong(args[1]));
            float[] px = new float[3 * 256 * 256];
            for (int i = 0; i < px.length; i++) {
                px[i] = r.nextFloat();
            }
            RgbImage img = new RgbImage(256, 256, px);
            try (HistoryStore h = HistoryStore.open(data)) {
                int committed = h.search("", 100_000).size();
                for (long seed = 0; ; seed++) {
                    HistoryEntry e = entry("crash test prompt " + seed, seed);
                    h.add(e, f -> ImageFiles.write(f, img, null));
                    committed++;
                    System.out.println("committed " + committed);
                    System.out.flush();
                }
            }
        }
    }

    /** The last "committed N" the child printed (0 if none yet). */
    static int lastCommitted(List<String> lines) {
        synchronized (lines) {
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("committed ")) {
                    return Integer.parseInt(lines.get(i).substring("committed ".length()));
                }
            }
        }
        return 0;
    }

    static HistoryEntry entry(String prompt, long seed) {
        GenerationSettings s = GenerationSettings.defaults();
        s = new GenerationSettings(prompt, "neg", s.steps(), s.guidance(), s.sampler(), seed, false, "1:1", 1024, 1024, 1024,
                1, "auto", "auto", "FAST", "/m", List.of());
        return new HistoryEntry(0, Instant.now(), HistoryEntry.Status.FINISHED, 0, s, "PixArt-Σ 1024px", 256, 256,
                Map.of("total", 1234L), new byte[] {1, 2, 3}, "", "", false);
    }

    @Test
    void killedDuringHistoryWritesLosesAtMostTheJobInFlight() throws Exception {
        Random random = new Random(14);
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (int round = 0; round < 3; round++) {
            Process p = new ProcessBuilder(java, "-Xmx512m", "-cp", cp, Child.class.getName(), dir.toString(),
                    Integer.toString(round)).redirectErrorStream(true).start();
            // a reader thread keeps every line the child prints, up to its death
            List<String> seen = Collections.synchronizedList(new ArrayList<>());
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = out.readLine()) != null) {
                        seen.add(l);
                    }
                } catch (IOException closed) {
                    // the child was killed
                }
            });
            reader.start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            int startAt = -1;
            while (System.nanoTime() < deadline) {
                int last = lastCommitted(seen);
                if (startAt < 0 && last > 0) {
                    startAt = last;
                }
                if (startAt > 0 && last >= startAt + 3) {
                    break;
                }
                Thread.sleep(5);
            }
            assertTrue(startAt > 0, "the child committed entries: " + seen);
            Thread.sleep(random.nextInt(150));
            // SIGKILL through the process handle: unlike Process.destroyForcibly it leaves our end of
            // the pipe open, so the lines the child printed before dying are still read
            p.toHandle().destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            reader.join(10_000);
            int lastCommitted = lastCommitted(seen);
            try (HistoryStore h = HistoryStore.open(dir)) {
                List<HistoryEntry> all = h.search("", 100_000);
                assertTrue(all.size() >= lastCommitted && all.size() <= lastCommitted + 1,
                        "round " + round + ": " + all.size() + " entries after " + lastCommitted + " reported committed");
                for (HistoryEntry e : all) {
                    assertEquals("crash test prompt " + e.settings().seed(), e.settings().prompt());
                    assertTrue(!e.imageFile().isEmpty(), "every committed entry links its image");
                    Path img = h.imagePath(e);
                    assertNotNull(ImageIO.read(img.toFile()), "a complete image for entry " + e.id());
                }
            }
        }
    }
}

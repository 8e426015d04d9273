package studio.pixart.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.cli.PixArtCli;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.io.AtomicFiles;

/**
 * kill -9 tests: a child JVM is killed ({@link Process#destroyForcibly}, SIGKILL on Linux) in the
 * middle of writing, and the destination must hold either the previous complete file or nothing,
 * never a partial one. Three moments: inside an atomic write (deterministically, between two
 * halves of the body), during a loop of real image exports (at random times), and during a
 * poster's tiled VAE decode (the CLI's poster command).
 */
class CrashTest {
    @TempDir
    Path dir;

    /** The child process: {@code export-slow TARGET}, {@code export-loop TARGET} or {@code cli ARGS…}. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path target = args.length > 1 ? Paths.get(args[1]) : null;
            switch (args[0]) {
                case "export-slow" -> AtomicFiles.write(target, out -> {
                    out.write(new byte[1 << 20]);
                    out.flush();
                    System.out.println("half written");
                    System.out.flush();
                    try {
                        Thread.sleep(60_000); // killed here
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    out.write(new byte[1 << 20]);
                });
                case "export-loop" -> {
                    RgbImage img = noise(1024, 1024, 1);
                    for (int i = 0; ; i++) {
                        ImageExport.write(img, target, "crash test " + i, null, ImageExport.Options.defaults());
                        System.out.println("wrote " + i);
                        System.out.flush();
                    }
                }
                case "cli" -> {
                    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
                    System.exit(PixArtCli.run(rest, new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true)));
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
        }

        static RgbImage noise(int w, int h, long seed) {
            Random r = new Random(seed);
            float[] s = new float[3 * w * h];
            for (int i = 0; i < s.length; i++) {
                s[i] = r.nextFloat();
            }
            return new RgbImage(w, h, s);
        }
    }

    /** Starts the child; returns it once a line of its output (stdout and stderr merged) matches {@code ready}. */
    static Process startUntil(Predicate<String> ready, List<String> seen, String... args) throws IOException, InterruptedException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx2g", "-Dai.djl.offline=true", "-cp", cp, Child.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DJL_OFFLINE", "true");
        Process p = pb.start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        String line;
        while ((line = r.readLine()) != null) {
            seen.add(line);
            if (ready.test(line)) {
                return p;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        p.destroyForcibly().waitFor();
        throw new AssertionError("the child never reached the moment to kill it; output:\n" + String.join("\n", seen));
    }

    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not die");
        assertEquals(137, p.exitValue(), "killed by SIGKILL");
    }

    @Test
    void killedInsideAnAtomicWriteLeavesTheOldFile() throws Exception {
        Path target = dir.resolve("export.bin");
        Files.writeString(target, "the previous export");
        Process p = startUntil(l -> l.equals("half written"), new ArrayList<>(), "export-slow", target.toString());
        kill(p);
        assertEquals("the previous export", Files.readString(target), "the destination keeps the complete old file");
        Process q = startUntil(l -> l.equals("half written"), new ArrayList<>(), "export-slow", dir.resolve("new.bin").toString());
        kill(q);
        assertFalse(Files.exists(dir.resolve("new.bin")), "no partial file at a new destination");
    }

    @Test
    void killedDuringImageExportsNeverLeavesAPartialImage() throws Exception {
        Path target = dir.resolve("export.png");
        Random random = new Random(14);
        for (int round = 0; round < 3; round++) {
            Process p = startUntil(l -> l.startsWith("wrote "), new ArrayList<>(), "export-loop", target.toString());
            Thread.sleep(random.nextInt(400)); // somewhere inside a later encode or write
            kill(p);
            BufferedImage img = ImageIO.read(target.toFile());
            assertNotNull(img, "round " + round + ": the destination is a complete PNG");
            assertEquals(1024, img.getWidth());
            assertEquals(1024, img.getHeight());
            assertTrue(ImageExport.readPngText(target).get(ImageExport.PARAMETERS_KEY).startsWith("crash test "));
        }
    }

    @Test
    void killedDuringAPostersTiledDecodeWritesNothing() throws Exception {
        Path model = Golden.model("tiny-pixart-sigma");
        Path fresh = dir.resolve("poster.png");
        Path existing = dir.resolve("old-poster.png");
        ImageExport.write(Child.noise(64, 64, 2), existing, "old poster", null, ImageExport.Options.defaults());
        byte[] before = Files.readAllBytes(existing);
        for (Path target : List.of(fresh, existing)) {
            List<String> seen = new ArrayList<>();
            Process p = startUntil(l -> l.matches("decode\\s+[1-9]\\d*/([2-9]|\\d{2,}).*"), seen, "cli", "poster", "--model", model.toString(),
                    "--prompt", "a lighthouse at dusk", "--width", "384", "--height", "192", "--steps", "4", "--seed", "5",
                    "--out", target.toString());
            kill(p);
            assertTrue(seen.stream().anyMatch(l -> l.startsWith("decode")), "killed during the decode: " + seen);
            if (target == fresh) {
                assertFalse(Files.exists(fresh), "no partial poster");
            } else {
                assertArrayEquals(before, Files.readAllBytes(existing), "the old poster is untouched");
            }
        }
    }
}

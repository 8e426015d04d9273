package studio.pixart.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The accessor block each scheduler repeats (diffusers-style self-contained files) stays equal to
 * its original: every file marked "Copied from DpmSolverMultistepScheduler" holds the same text.
 */
class SchedulerCopiesTest {
    static final String MARK = "// Copied from DpmSolverMultistepScheduler: numSteps, timestep(i), timesteps().";

    static Path sources() {
        Path p = Path.of("src/main/java/studio/pixart/engine/scheduler");
        return Files.isDirectory(p) ? p : Path.of("engine").resolve(p);
    }

    /** From {@code numSteps()}'s annotation to the end of {@code timesteps()}. */
    static String block(String source, String file) {
        int start = source.indexOf("    @Override\n    public int numSteps()");
        int method = source.indexOf("public double[] timesteps()", start);
        assertTrue(start >= 0 && method > start, file + ": the accessor block is not where expected");
        int end = source.indexOf("\n    }\n", method);
        return source.substring(start, end);
    }

    @Test
    void markedCopiesEqualTheOriginal() throws IOException {
        Path dir = sources();
        String original = block(Files.readString(dir.resolve("DpmSolverMultistepScheduler.java")), "DpmSolverMultistepScheduler");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        int copies = 0;
        for (Path f : files) {
            String src = Files.readString(f);
            if (src.contains(MARK)) {
                assertEquals(original, block(src.substring(src.indexOf(MARK)), f.getFileName().toString()),
                        f.getFileName() + " no longer matches the block it was copied from");
                copies++;
            }
        }
        assertTrue(copies >= 6, "expected the marked copies in DDIM, Euler, Euler a, LCM, SA-Solver and UniPC, found " + copies);
    }
}

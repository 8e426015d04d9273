package studio.pixart.app.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Fuzz target for restoring settings from a dropped image ({@link ImageFiles#readSettings}: PNG
 * text chunks through ImageIO, the JPEG EXIF UserComment parser, then the A1111 parameters text
 * and the studio's JSON). Any file must give settings or an IOException / IllegalArgumentException
 * with a message for the user; anything else is a finding. Regression inputs:
 * {@code ImageSettingsFuzzTestInputs/readSettings/}; fuzzing: {@code engine/src/test/fuzz/fuzz.sh}.
 */
class ImageSettingsFuzzTest {
    static final Path SCRATCH = scratch();

    private static Path scratch() {
        try {
            Path shm = Paths.get("/dev/shm");
            Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Paths.get(System.getProperty("java.io.tmpdir"));
            Path d = Files.createTempDirectory(base, "pixart-fuzz-app");
            d.toFile().deleteOnExit();
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "2h", maxExecutions = 1_000_000)
    void readSettings(byte[] data) throws IOException {
        Path f = Files.write(SCRATCH.resolve("dropped"), data);
        try {
            ImageFiles.readSettings(f);
        } catch (IOException | IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("rejected without a message", e);
            }
        }
    }
}

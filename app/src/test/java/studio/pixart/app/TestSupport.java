package studio.pixart.app;

import java.nio.file.Path;
import java.nio.file.Paths;

/** Paths the tests share. */
public final class TestSupport {
    private TestSupport() {}

    public static Path golden() {
        return Paths.get(System.getProperty("golden.dir", "../engine/src/test/resources/golden"));
    }

    /** The tiny PixArt-Σ pipeline of the engine's golden data (a complete, valid pipeline folder). */
    public static Path tinyPipeline() {
        return golden().resolve("tiny-pixart-sigma").toAbsolutePath().normalize();
    }

    public static Path screenshots() {
        return Paths.get(System.getProperty("screenshots.dir", "target/screenshots"));
    }
}

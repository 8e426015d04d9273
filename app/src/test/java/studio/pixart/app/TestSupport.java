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

    /**
     * One libtorch intra-op thread for the engine in tests (DJL reads the property when the engine
     * starts): the tiny pipeline gains nothing from more, and on a shared 2-core CI machine
     * OpenMP's spinning threads made each of its steps about 7x slower (1.4 s instead of 0.2 s).
     */
    public static void singleTorchThread() {
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
    }

    public static Path screenshots() {
        return Paths.get(System.getProperty("screenshots.dir", "target/screenshots"));
    }
}

package studio.pixart.engine;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.io.SafetensorsException;
import studio.pixart.engine.io.SafetensorsFile;
import studio.pixart.engine.io.TensorInfo;
import studio.pixart.engine.scheduler.Schedulers;
import studio.pixart.engine.text.SentencePieceModel;
import studio.pixart.engine.text.T5Config;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.vae.VaeConfig;

/**
 * Fuzz targets for the engine's parsers of untrusted files: the safetensors header, the config
 * JSON readers (transformer, VAE, T5, scheduler) and the spiece.model protobuf. Every input must be
 * parsed or rejected with the parser's own exception carrying a message; anything else (a
 * NullPointerException, an index out of bounds, an OutOfMemoryError, a hang) is a finding.
 *
 * <p>{@code mvn test} runs the committed inputs ({@code ParserFuzzTestInputs/<target>/}) as a
 * regression test; {@code engine/src/test/fuzz/fuzz.sh} fuzzes one target for 10⁶ executions
 * (see README, Reliability).
 */
class ParserFuzzTest {
    /** Inputs go through real files (the parsers read files); tmpfs when there is one. */
    static final Path SCRATCH = scratch();

    private static Path scratch() {
        try {
            Path shm = Paths.get("/dev/shm");
            Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Paths.get(System.getProperty("java.io.tmpdir"));
            Path d = Files.createTempDirectory(base, "pixart-fuzz");
            d.toFile().deleteOnExit();
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path file(String name, byte[] data) {
        try {
            return Files.write(SCRATCH.resolve(name), data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A rejection must say what is wrong. */
    static void rejected(RuntimeException e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("rejected without a message", e);
        }
    }

    @FuzzTest(maxDuration = "2h", maxExecutions = 1_000_000)
    void safetensorsHeader(byte[] data) {
        try (SafetensorsFile f = SafetensorsFile.open(file("fuzz.safetensors", data))) {
            for (TensorInfo t : f.tensors().values()) {
                if (t.elementCount() <= 4096) {
                    try {
                        f.floats(t.name());
                    } catch (SafetensorsException e) {
                        rejected(e); // integer or bool tensors are not floats: a clear refusal
                    }
                }
            }
        } catch (SafetensorsException e) {
            rejected(e);
        }
    }

    @FuzzTest(maxDuration = "2h", maxExecutions = 1_000_000)
    void configJson(byte[] data) {
        Path cfg = file("config.json", data);
        try {
            TransformerConfig.read(cfg);
        } catch (ConfigException e) {
            rejected(e);
        }
        try {
            VaeConfig.load(cfg);
        } catch (ConfigException e) {
            rejected(e);
        }
        try {
            T5Config.load(cfg);
        } catch (ConfigException e) {
            rejected(e);
        }
        try {
            Schedulers.fromConfig(Json.read(cfg)).setTimesteps(1 + (data.length % 50));
        } catch (ConfigException | IllegalArgumentException e) {
            rejected(e);
        }
    }

    @FuzzTest(maxDuration = "2h", maxExecutions = 1_000_000)
    void spieceModel(byte[] data) {
        try {
            SentencePieceModel m = SentencePieceModel.parse(Paths.get("fuzz/spiece.model"), data);
            m.encode("Hello  World, the ÄÖÜ café ▁ 123 \u0000 \ud83d\ude00");
        } catch (ConfigException e) {
            rejected(e);
        }
    }
}

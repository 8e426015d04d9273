package studio.pixart.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.io.SafetensorsFile;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.rehearsal.RehearsalFolder;
import studio.pixart.engine.rehearsal.RehearsalLayout;
import studio.pixart.engine.text.T5Config;
import studio.pixart.engine.text.T5Encoder;
import studio.pixart.engine.nd.Torch;
import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

/** The rehearsal machinery on the scaled-down layout (the real size is a separate, documented command). */
class RehearseCommandTest {
    @TempDir
    Path tmp;

    @Test
    void theRealLayoutHasThePublishedParameterCounts() {
        RehearsalLayout real = RehearsalLayout.sigma1024();
        assertEquals(4_762_310_656L, RehearsalFolder.t5Parameters(real.t5()));
        assertEquals(610_856_096L, RehearsalFolder.transformerParameters(real.transformer()));
        assertEquals(T5Config.xxl(), real.t5());
    }

    @Test
    void writesTheFolderOnceTimesEveryStageAndReportsMemory() throws Exception {
        Path json = tmp.resolve("r.json");
        CliTest.Run r = CliTest.run("rehearse", "--layout", "mini", "--dir", tmp.resolve("cache").toString(),
                "--int8-dir", tmp.resolve("int8").toString(), "--stages", "all", "--json", json.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        JsonNode j = Json.read(json);
        List<String> names = new ArrayList<>();
        for (JsonNode s : j.get("stages")) {
            names.add(s.get("stage").asText());
            assertTrue(s.get("seconds").asDouble() > 0, s.toString());
            if (Files.isReadable(Path.of("/proc/self/status"))) {
                assertTrue(s.get("peakAnon").asLong() > 0 && s.get("peakFile").asLong() > 0, s.toString());
            }
        }
        assertEquals(List.of("load", "encode20", "encode120", "step64", "step128", "decode64", "decode128", "generate64",
                "generate128", "int8error"), names);
        assertTrue(j.get("matmul_gflops").asDouble() > 0);
        assertTrue(j.get("int8_20_cosine").asDouble() > 0.99, j.toString());
        assertTrue(r.out().contains("| encode20 |"), r.out());

        Path dir = tmp.resolve("cache/pixart-mini");
        PipelineFolder folder = PipelineFolder.open(dir.toString());
        assertTrue(folder.problems().isEmpty(), folder.problems().toString());
        Path shard = dir.resolve("text_encoder/model-00002-of-00002.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(shard)) {
            assertEquals(TensorDType.BF16, f.info("encoder.final_layer_norm.weight").dtype());
        }
        assertTrue(Files.isRegularFile(dir.resolve("text_encoder/model.safetensors.index.json")));

        // Written once: the next run finds the marker and writes nothing.
        FileTime written = Files.getLastModifiedTime(shard);
        r = CliTest.run("rehearse", "--layout", "mini", "--dir", tmp.resolve("cache").toString(), "--stages", "encode20");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("writing"), r.out());
        assertEquals(written, Files.getLastModifiedTime(shard));

        // Interrupted run: no marker, a leftover temp file, one shard missing → only that is written, then the marker.
        Files.delete(dir.resolve(RehearsalFolder.MARKER));
        Files.delete(shard);
        Files.writeString(dir.resolve("text_encoder/.model-00002-of-00002.safetensors.123.part"), "half");
        FileTime first = Files.getLastModifiedTime(dir.resolve("text_encoder/model-00001-of-00002.safetensors"));
        r = CliTest.run("rehearse", "--layout", "mini", "--dir", tmp.resolve("cache").toString(), "--stages", "encode20");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("writing text_encoder/model-00002-of-00002.safetensors"), r.out());
        assertFalse(r.out().contains("model-00001"), r.out());
        assertEquals(first, Files.getLastModifiedTime(dir.resolve("text_encoder/model-00001-of-00002.safetensors")));
        assertFalse(Files.exists(dir.resolve("text_encoder/.model-00002-of-00002.safetensors.123.part")));
        assertTrue(Files.isRegularFile(dir.resolve(RehearsalFolder.MARKER)));
    }

    @Test
    void theFloat32VariantIsTheSameModelInAnotherFileDtype() throws Exception {
        Path cache = tmp.resolve("cache");
        CliTest.Run r = CliTest.run("rehearse", "--layout", "mini", "--dir", cache.toString(), "--t5-shards", "f32", "--stages", "prepare");
        assertEquals(0, r.code(), r.err());
        Path bf = cache.resolve("pixart-mini/text_encoder");
        Path f32 = cache.resolve("pixart-mini-t5-f32/text_encoder");
        assertTrue(Files.isRegularFile(cache.resolve("pixart-mini/" + RehearsalFolder.MARKER)));
        try (studio.pixart.engine.io.Checkpoint ck = studio.pixart.engine.io.Checkpoint.open(f32)) {
            assertEquals(TensorDType.F32, ck.info("shared.weight").dtype());
            assertEquals(TensorDType.F32, ck.info("encoder.block.1.layer.1.DenseReluDense.wo.weight").dtype());
        }
        Torch.prepareThread();
        long[][] ids = {{5, 17, 300, 4000, 1, 0, 0, 0}};
        long[][] mask = {{1, 1, 1, 1, 1, 0, 0, 0}};
        try (T5Encoder a = T5Encoder.load(bf, Device.cpu(), DataType.FLOAT32);
             T5Encoder b = T5Encoder.load(f32, Device.cpu(), DataType.FLOAT32)) {
            assertEquals(T5Encoder.LoadMode.PER_LAYER, a.mode());
            assertEquals(T5Encoder.LoadMode.EAGER, b.mode());
            float[] x = a.encode(ids, mask);
            float[] y = b.encode(ids, mask);
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], 1e-5 * Math.max(1, Math.abs(x[i])), "element " + i);
            }
        }
    }

    @Test
    void unknownStagesAreNamed() {
        CliTest.Run r = CliTest.run("rehearse", "--layout", "mini", "--dir", tmp.toString(), "--stages", "step1024");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown stage 'step1024'") && r.err().contains("step128"), r.err());
    }
}

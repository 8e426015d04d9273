package studio.pixart.engine.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.Half;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.io.SafetensorsException;
import studio.pixart.engine.io.SafetensorsFile;
import studio.pixart.engine.io.SafetensorsWriter;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.nd.Torch;

/** Checkpoint packaging (sharded, tied names, fp16/bf16 files), load modes, float16 compute, and malformed folders. */
class T5EncoderLoadingTest {
    @TempDir
    Path tmp;

    static Golden golden;
    static long[][] ids;
    static long[][] mask;
    static float[] ref;

    @BeforeAll
    static void inputs() {
        Torch.prepareThread();
        golden = Golden.load("t5/t5_prompts_len16");
        ids = T5EncoderTest.ids(golden);
        mask = T5EncoderTest.mask(golden);
        ref = golden.floats("last_hidden_state");
    }

    @AfterAll
    static void closeGolden() {
        golden.close();
    }

    /** The tiny checkpoint's tensors as float32 values with their shapes. */
    static Map<String, float[]> tinyTensors(Map<String, long[]> shapes) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(T5EncoderTest.MODEL.resolve("model.safetensors"))) {
            for (String n : f.tensors().keySet()) {
                out.put(n, f.floats(n));
                shapes.put(n, f.info(n).shape());
            }
        }
        return out;
    }

    static byte[] encode(float[] v, TensorDType dtype) {
        byte[] b = new byte[v.length * 2];
        for (int i = 0; i < v.length; i++) {
            short s = dtype == TensorDType.F16 ? Half.fromFloat(v[i]) : (short) (Float.floatToIntBits(v[i]) >>> 16);
            b[2 * i] = (byte) s;
            b[2 * i + 1] = (byte) (s >> 8);
        }
        return b;
    }

    /**
     * Writes a text_encoder folder: the tiny weights (renamed / filtered / reshaped by the caller) as
     * {@code shards} files of {@code dtype}, with an index when sharded, and the given config.
     */
    Path writeFolder(String name, ObjectNode config, TensorDType dtype, int shards, Map<String, String> rename,
                     Predicate<String> keep, Map<String, long[]> reshape) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        if (config != null) {
            Files.writeString(dir.resolve("config.json"), Json.write(config));
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> tensors = tinyTensors(shapes);
        SafetensorsWriter[] writers = new SafetensorsWriter[shards];
        for (int s = 0; s < shards; s++) {
            writers[s] = new SafetensorsWriter();
        }
        ObjectNode weightMap = Json.MAPPER.createObjectNode();
        int i = 0;
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            String n = rename.getOrDefault(e.getKey(), e.getKey());
            if (!keep.test(n)) {
                continue;
            }
            long[] shape = reshape.getOrDefault(n, shapes.get(e.getKey()));
            float[] v = e.getValue();
            long count = 1;
            for (long x : shape) {
                count *= x;
            }
            v = java.util.Arrays.copyOf(v, (int) count);
            int s = i++ % shards;
            if (dtype == TensorDType.F32) {
                writers[s].putFloats(n, shape, v);
            } else {
                writers[s].putRaw(n, dtype, shape, encode(v, dtype));
            }
            weightMap.put(n, shardName(s, shards));
        }
        for (int s = 0; s < shards; s++) {
            writers[s].write(dir.resolve(shardName(s, shards)));
        }
        if (shards > 1) {
            ObjectNode index = Json.MAPPER.createObjectNode();
            index.putObject("metadata").put("total_size", 0);
            index.set("weight_map", weightMap);
            Files.writeString(dir.resolve("model.safetensors.index.json"), Json.write(index));
        }
        return dir;
    }

    static String shardName(int s, int shards) {
        return shards == 1 ? "model.safetensors" : String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
    }

    static ObjectNode tinyConfig() {
        return (ObjectNode) Json.read(T5EncoderTest.MODEL.resolve("config.json"));
    }

    Path plain(String name, ObjectNode config) throws IOException {
        return writeFolder(name, config, TensorDType.F32, 1, Map.of(), n -> true, Map.of());
    }

    static float[] run(Path dir, DataType dtype, T5Encoder.LoadMode mode, T5Encoder.LoadMode expectMode) {
        try (T5Encoder e = T5Encoder.load(dir, Device.cpu(), dtype, mode)) {
            assertEquals(expectMode, e.mode());
            return e.encode(ids, mask);
        }
    }

    @Test
    void perLayerModeMatchesGolden() {
        float[] got = run(T5EncoderTest.MODEL, DataType.FLOAT32, T5Encoder.LoadMode.PER_LAYER, T5Encoder.LoadMode.PER_LAYER);
        Golden.assertCloseModule("per-layer", ref, got, 1e-4);
    }

    @Test
    void shardedCheckpointWithEmbedTokensName() throws IOException {
        Path dir = writeFolder("sharded", tinyConfig(), TensorDType.F32, 3,
                Map.of(T5Encoder.SHARED, T5Encoder.EMBED_TOKENS), n -> true, Map.of());
        assertTrue(Files.exists(dir.resolve("model-00003-of-00003.safetensors")));
        float[] got = run(dir, DataType.FLOAT32, null, T5Encoder.LoadMode.EAGER);
        Golden.assertCloseModule("sharded, encoder.embed_tokens.weight", ref, got, 1e-4);
    }

    @Test
    void halfAndBfloatFilesComputeInFloat32PerLayer() throws IOException {
        for (TensorDType dt : new TensorDType[] {TensorDType.F16, TensorDType.BF16}) {
            Path dir = writeFolder("file-" + dt, tinyConfig(), dt, 2, Map.of(), n -> true, Map.of());
            // Conversion needed on the CPU: the default keeps only one converted block at a time.
            float[] perLayer = run(dir, DataType.FLOAT32, null, T5Encoder.LoadMode.PER_LAYER);
            float[] eager = run(dir, DataType.FLOAT32, T5Encoder.LoadMode.EAGER, T5Encoder.LoadMode.EAGER);
            Golden.assertCloseModule(dt + " per-layer vs eager", eager, perLayer, 1e-6);
            // The blocks are widened into re-used tensors: the same values as the eager copy, bit for bit.
            try (T5Encoder e = T5Encoder.load(dir, Device.cpu(), DataType.FLOAT32)) {
                assertTrue(e.staged(), dt + " blocks computed in float32 go through the re-used tensors");
                assertArrayEquals(eager, e.encode(ids, mask), dt + ": staged blocks, first pass");
                assertArrayEquals(eager, e.encode(ids, mask), dt + ": staged blocks, second pass");
            }
            // Only the weights' rounding differs from the float32 golden (bf16 keeps 8 bits).
            Golden.assertCloseModule(dt + " file vs float32 golden", ref, perLayer, dt == TensorDType.F16 ? 5e-3 : 5e-2);
        }
    }

    /**
     * float16 compute runs on DJL's CPU build (libtorch 2.5 has half kernels for every op used), so the
     * GPU path (wo in float32, float32 softmax, clamping) is exercised here against the float32 golden.
     */
    @Test
    void float16ComputeOnCpu() throws IOException {
        float[] got = run(T5EncoderTest.MODEL, DataType.FLOAT16, null, T5Encoder.LoadMode.PER_LAYER);
        Golden.assertCloseModule("float16 compute", ref, got, 2e-2);
        Path dir = writeFolder("f16", tinyConfig(), TensorDType.F16, 1, Map.of(), n -> true, Map.of());
        // A float16 file has wo in float16, which is widened to float32: per-layer by default.
        float[] fromHalfFile = run(dir, DataType.FLOAT16, T5Encoder.LoadMode.EAGER, T5Encoder.LoadMode.EAGER);
        Golden.assertCloseModule("float16 file, float16 compute", ref, fromHalfFile, 2e-2);
    }

    // ---------------------------------------------------------------------------------- malformed

    static void assertMessage(Class<? extends Throwable> type, Runnable r, String... parts) {
        Throwable t = assertThrows(type, r::run);
        for (String p : parts) {
            assertTrue(t.getMessage().contains(p), "message '" + t.getMessage() + "' should mention '" + p + "'");
        }
    }

    static void load(Path dir) {
        T5Encoder.load(dir, Device.cpu(), DataType.FLOAT32).close();
    }

    @Test
    void missingFolderAndConfig() throws IOException {
        assertMessage(ConfigException.class, () -> load(tmp.resolve("nope")), "nope", "not found");
        Path dir = writeFolder("noconfig", null, TensorDType.F32, 1, Map.of(), n -> true, Map.of());
        assertMessage(ConfigException.class, () -> load(dir), "config.json", "not found");
        Path noWeights = Files.createDirectories(tmp.resolve("noweights"));
        Files.writeString(noWeights.resolve("config.json"), Json.write(tinyConfig()));
        assertMessage(ConfigException.class, () -> load(noWeights), "no .safetensors");
    }

    @Test
    void configMissingKeysOrUnsupported() throws IOException {
        ObjectNode noDModel = tinyConfig();
        noDModel.remove("d_model");
        Path a = plain("no-d-model", noDModel);
        assertMessage(ConfigException.class, () -> load(a), "config.json", "missing required key 'd_model'");

        ObjectNode noProj = tinyConfig();
        noProj.remove("feed_forward_proj");
        Path b = plain("no-proj", noProj);
        assertMessage(ConfigException.class, () -> load(b), "feed_forward_proj");

        ObjectNode relu = tinyConfig();
        relu.put("feed_forward_proj", "relu");
        Path c = plain("relu", relu);
        assertMessage(ConfigException.class, () -> load(c), "'relu' is not supported");

        ObjectNode badType = tinyConfig();
        badType.put("num_heads", "four");
        Path d = plain("bad-type", badType);
        assertMessage(ConfigException.class, () -> load(d), "'num_heads' must be an integer");

        Path notJson = Files.createDirectories(tmp.resolve("not-json"));
        Files.writeString(notJson.resolve("config.json"), "{\"d_model\": 16,");
        assertMessage(ConfigException.class, () -> load(notJson), "config.json", "not valid JSON");
    }

    @Test
    void wrongShapeAndMissingTensor() throws IOException {
        String wo = "encoder.block.1.layer.1.DenseReluDense.wo.weight";
        Path shape = writeFolder("shape", tinyConfig(), TensorDType.F32, 1, Map.of(), n -> true,
                Map.of(wo, new long[] {32, 16}));
        assertMessage(SafetensorsException.class, () -> load(shape), wo, "[32, 16]", "[16, 32]");

        // Config says 3 layers, checkpoint has 2.
        ObjectNode three = tinyConfig();
        three.put("num_layers", 3);
        Path layers = plain("layers", three);
        assertMessage(SafetensorsException.class, () -> load(layers), "encoder.block.2.layer.0.SelfAttention.q.weight", "missing");

        Path noRel = writeFolder("norel", tinyConfig(), TensorDType.F32, 1, Map.of(),
                n -> !n.equals(T5Encoder.RELATIVE_BIAS), Map.of());
        assertMessage(SafetensorsException.class, () -> load(noRel), T5Encoder.RELATIVE_BIAS, "missing");

        ObjectNode vocab = tinyConfig();
        vocab.put("vocab_size", 32128);
        Path v = plain("vocab", vocab);
        assertMessage(SafetensorsException.class, () -> load(v), T5Encoder.SHARED, "[320, 16]", "[32128, 16]");
    }

    @Test
    void badInputsAndClosedEncoder() {
        T5Encoder e = T5Encoder.load(T5EncoderTest.MODEL, Device.cpu(), DataType.FLOAT32);
        assertMessage(IllegalArgumentException.class, () -> e.encode(new long[][] {{5, 320}}, new long[][] {{1, 1}}),
                "token id 320", "vocab_size 320");
        assertMessage(IllegalArgumentException.class, () -> e.encode(new long[][] {{5, 6}}, new long[][] {{1}}), "length 2");
        assertMessage(IllegalArgumentException.class, () -> e.encode(new long[][] {{5, 6}}, new long[][] {{1, 2}}), "0 or 1");
        e.close();
        e.close();
        assertMessage(IllegalStateException.class, () -> e.encode(ids, mask), "closed");
    }
}

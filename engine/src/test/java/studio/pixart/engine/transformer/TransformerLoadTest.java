package studio.pixart.engine.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;
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
import studio.pixart.engine.io.TensorInfo;
import studio.pixart.engine.nd.Torch;

/** Config handling, malformed checkpoints and other on-disk dtypes. */
class TransformerLoadTest {
    static final Path TINY = Golden.model("tiny-pixart-sigma/transformer");

    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() {
        Torch.prepareThread();
    }

    /** Copies the tiny transformer into tmp, letting the caller edit config and tensors. */
    Path copy(Consumer<ObjectNode> editConfig, Consumer<SafetensorsWriter> editTensors, TensorDType dtype) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("transformer"));
        ObjectNode cfg = (ObjectNode) Json.read(TINY.resolve("config.json"));
        editConfig.accept(cfg);
        Files.writeString(dir.resolve("config.json"), Json.write(cfg));
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(TINY.resolve("diffusion_pytorch_model.safetensors"))) {
            for (TensorInfo t : f.tensors().values()) {
                float[] v = f.floats(t.name());
                if (dtype == TensorDType.F32) {
                    w.putFloats(t.name(), t.shape(), v);
                } else {
                    ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < v.length; i++) {
                        b.putShort(2 * i, dtype == TensorDType.F16 ? Half.fromFloat(v[i])
                                : (short) (Float.floatToIntBits(v[i]) >>> 16));
                    }
                    w.putRaw(t.name(), dtype, t.shape(), b.array());
                }
            }
        }
        editTensors.accept(w);
        w.write(dir.resolve("diffusion_pytorch_model.safetensors"));
        return dir;
    }

    Path copy(Consumer<ObjectNode> editConfig, Consumer<SafetensorsWriter> editTensors) throws Exception {
        return copy(editConfig, editTensors, TensorDType.F32);
    }

    static PixArtTransformer load(Path dir) {
        return PixArtTransformer.load(dir, Device.cpu(), DataType.FLOAT32, TransformerOptions.defaults());
    }

    /** The golden sigma_8x8 case through a model folder; returns the full trace. */
    static Map<String, float[]> runGolden(Path dir, TransformerOptions options) {
        try (Golden g = Golden.load("transformer/transformer_sigma_8x8");
             NDManager m = Torch.newManager();
             PixArtTransformer t = PixArtTransformer.load(dir, Device.cpu(), DataType.FLOAT32, options)) {
            Map<String, float[]> trace = t.forwardWithTrace(TransformerGoldenTest.input(g, m, "hidden_states"),
                    TransformerGoldenTest.input(g, m, "timestep"), TransformerGoldenTest.input(g, m, "encoder_hidden_states"),
                    TransformerGoldenTest.input(g, m, "encoder_attention_mask"), null, null);
            trace.put("golden", g.floats("sample"));
            return trace;
        }
    }

    @Test
    void missingTensorIsNamed() throws Exception {
        Path dir = copy(c -> { }, w -> { });
        // rewrite without one tensor
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("diffusion_pytorch_model.safetensors"))) {
            for (TensorInfo t : f.tensors().values()) {
                if (!t.name().equals("transformer_blocks.1.attn2.to_k.weight")) {
                    w.putFloats(t.name(), t.shape(), f.floats(t.name()));
                }
            }
        }
        w.write(dir.resolve("diffusion_pytorch_model.safetensors"));
        var e = assertThrows(SafetensorsException.class, () -> load(dir));
        assertTrue(e.getMessage().contains("transformer_blocks.1.attn2.to_k.weight") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void wrongShapeIsNamedWithTheExpectedShape() throws Exception {
        Path dir = copy(c -> { }, w -> w.putFloats("caption_projection.linear_1.weight", new long[] {16, 8}, new float[128]));
        var e = assertThrows(SafetensorsException.class, () -> load(dir));
        assertTrue(e.getMessage().contains("caption_projection.linear_1.weight") && e.getMessage().contains("[16, 16]"), e.getMessage());
    }

    @Test
    void configThatDisagreesWithTheCheckpointFails() throws Exception {
        Path fewer = copy(c -> c.put("num_layers", 1), w -> { });
        var e = assertThrows(SafetensorsException.class, () -> load(fewer));
        assertTrue(e.getMessage().contains("num_layers"), e.getMessage());
    }

    @Test
    void unsupportedConfigsAreRejected() throws Exception {
        Path norm = copy(c -> c.put("norm_type", "ada_norm_zero"), w -> { });
        var e = assertThrows(ConfigException.class, () -> load(norm));
        assertTrue(e.getMessage().contains("norm_type 'ada_norm_zero'") && e.getMessage().contains("config.json"), e.getMessage());
        Path cls = copy(c -> c.put("_class_name", "UNet2DConditionModel"), w -> { });
        assertTrue(assertThrows(ConfigException.class, () -> load(cls)).getMessage().contains("_class_name"));
        Path act = copy(c -> c.put("activation_fn", "geglu"), w -> { });
        assertTrue(assertThrows(ConfigException.class, () -> load(act)).getMessage().contains("activation_fn"));
        // 2 heads × 8 = 16 is not divisible by 3: size embeddings impossible
        Path add = copy(c -> c.put("use_additional_conditions", true), w -> { });
        assertTrue(assertThrows(ConfigException.class, () -> load(add)).getMessage().contains("divisible by 3"));
    }

    @Test
    void oldTransformer2DModelClassNameIsAccepted() throws Exception {
        Path dir = copy(c -> c.put("_class_name", "Transformer2DModel"), w -> { });
        Map<String, float[]> trace = runGolden(dir, TransformerOptions.defaults());
        Golden.assertCloseModule("Transformer2DModel", trace.get("golden"), trace.get("sample"), 1e-4);
    }

    @Test
    void halfPrecisionCheckpointsAreWidened() throws Exception {
        for (TensorDType dt : new TensorDType[] {TensorDType.F16, TensorDType.BF16}) {
            Path dir = copy(c -> { }, w -> { }, dt);
            Map<String, float[]> trace = runGolden(dir, TransformerOptions.defaults());
            // rounded weights: close to the float32 golden, not exact (bf16 keeps 8 bits of mantissa)
            Golden.assertCloseModule(dt + " checkpoint", trace.get("golden"), trace.get("sample"), dt == TensorDType.F16 ? 5e-3 : 5e-2);
            Files.walk(tmp).sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void defaultsDerivedFromSampleSize() {
        ObjectNode c = (ObjectNode) Json.read(TINY.resolve("config.json"));
        c.remove("interpolation_scale");
        c.remove("use_additional_conditions");
        c.put("num_attention_heads", 3);
        c.put("cross_attention_dim", 24);
        c.put("sample_size", 128);
        TransformerConfig a = TransformerConfig.fromJson(c);
        assertEquals(2.0, a.interpolationScale());
        assertTrue(a.useAdditionalConditions());
        c.put("sample_size", 256);
        c.putNull("use_additional_conditions");
        TransformerConfig s = TransformerConfig.fromJson(c);
        assertEquals(4.0, s.interpolationScale());
        assertFalse(s.useAdditionalConditions());
        c.put("sample_size", 32);
        assertEquals(1.0, TransformerConfig.fromJson(c).interpolationScale());
        TransformerConfig xl = TransformerConfig.pixArtXl(128);
        assertEquals(1152, xl.innerDim());
        assertTrue(xl.useAdditionalConditions());
    }

    @Test
    void sizeConditionedModelNeedsResolutionAndAspectRatio() {
        try (NDManager m = Torch.newManager();
             PixArtTransformer t = load(Golden.model("extra-models/transformer-alpha-addcond"))) {
            var e = assertThrows(IllegalArgumentException.class, () -> t.forward(m.zeros(new Shape(1, 4, 8, 8)),
                    m.create(new long[] {1}), m.zeros(new Shape(1, 4, 16)), null, null, null));
            assertTrue(e.getMessage().contains("resolution"), e.getMessage());
            var bad = assertThrows(IllegalArgumentException.class, () -> t.forward(m.zeros(new Shape(1, 3, 8, 8)),
                    m.create(new long[] {1}), m.zeros(new Shape(1, 4, 16)), null, null, null));
            assertTrue(bad.getMessage().contains("latents"), bad.getMessage());
        }
    }

    @Test
    void forwardLeavesOnlyItsOutputInTheCallersManager() {
        try (NDManager m = Torch.newManager(); PixArtTransformer t = load(TINY)) {
            NDArray x = m.zeros(new Shape(1, 4, 8, 8));
            NDArray ts = m.create(new long[] {10});
            NDArray text = m.ones(new Shape(1, 4, 16));
            int before = m.getManagedArrays().size();
            NDArray out = t.forward(x, ts, text, null, null, null);
            // the forward pass' own sub-manager is closed; only the output is new here
            assertEquals(before + 1, m.getManagedArrays().size());
            assertEquals(new Shape(1, 8, 8, 8), out.getShape());
        }
    }

    @Test
    void weightsManagerIsCappedAfterLoading() {
        try (PixArtTransformer t = load(TINY)) {
            // an op that started from a weight would put its result here: it must fail, not leak
            assertThrows(IllegalStateException.class, () -> t.weightManager().zeros(new Shape(1)));
        }
    }

    @Test
    void float16ComputeMatchesLoosely() {
        try (Golden g = Golden.load("transformer/transformer_sigma_8x8");
             NDManager m = Torch.newManager();
             PixArtTransformer t = PixArtTransformer.load(TINY, Device.cpu(), DataType.FLOAT16, TransformerOptions.defaults())) {
            NDArray out = t.forward(TransformerGoldenTest.input(g, m, "hidden_states"), TransformerGoldenTest.input(g, m, "timestep"),
                    TransformerGoldenTest.input(g, m, "encoder_hidden_states"), TransformerGoldenTest.input(g, m, "encoder_attention_mask"),
                    null, null);
            assertEquals(DataType.FLOAT32, out.getDataType());
            Golden.assertCloseModule("float16 compute", g.floats("sample"), out.toFloatArray(), 2e-2);
        }
    }

    @Test
    void trainedCompressionWeightsAreUsed() throws Exception {
        float[] quarter = new float[16 * 4];
        Arrays.fill(quarter, 0.25f);
        float[] ones = new float[16];
        Arrays.fill(ones, 1f);
        Path dir = copy(c -> { }, w -> w.putFloats("transformer_blocks.1.attn1.kv_compression.weight", new long[] {16, 1, 2, 2}, quarter)
                .putFloats("transformer_blocks.1.attn1.kv_compression.bias", new long[] {16}, new float[16])
                .putFloats("transformer_blocks.1.attn1.norm.weight", new long[] {16}, ones)
                .putFloats("transformer_blocks.1.attn1.norm.bias", new long[] {16}, new float[16]));
        Map<String, float[]> trace = runGolden(dir, TransformerOptions.defaults());
        Map<String, float[]> plain = runGolden(TINY, TransformerOptions.defaults());
        assertArrayEquals(plain.get("block_0_out"), trace.get("block_0_out"));
        assertFalse(Arrays.equals(plain.get("block_1_out"), trace.get("block_1_out")), "block 1 compresses with its conv");
        for (float v : trace.get("sample")) {
            assertTrue(Float.isFinite(v));
        }
        Path badShape = tmp.resolve("bad");
        Files.createDirectories(badShape);
        Files.copy(dir.resolve("config.json"), badShape.resolve("config.json"));
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("diffusion_pytorch_model.safetensors"))) {
            for (TensorInfo t : f.tensors().values()) {
                w.putFloats(t.name(), t.shape(), f.floats(t.name()));
            }
        }
        w.putFloats("transformer_blocks.1.attn1.kv_compression.weight", new long[] {16, 2, 2, 2}, new float[128]);
        w.write(badShape.resolve("diffusion_pytorch_model.safetensors"));
        var e = assertThrows(ConfigException.class, () -> load(badShape));
        assertTrue(e.getMessage().contains("kv_compression.weight"), e.getMessage());
    }
}

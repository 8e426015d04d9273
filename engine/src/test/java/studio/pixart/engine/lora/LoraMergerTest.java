package studio.pixart.engine.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.SafetensorsWriter;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.transformer.PixArtTransformer;
import studio.pixart.engine.transformer.TransformerOptions;

/**
 * The golden LoRA (README §9, lora/ and cases/lora/) in its three layouts merged into the tiny
 * transformer at strengths 1.0 and 0.7 against the reference outputs, exact restoring, and the
 * LoRAs that must be refused (missing targets, wrong shapes, another model's keys).
 */
class LoraMergerTest {
    static final String[] LAYOUTS = {"lora-peft", "lora-diffusers.safetensors", "lora-kohya.safetensors"};

    private static PixArtTransformer transformer;
    private static LoraMerger merger;
    private static Golden golden;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        Torch.prepareThread();
        golden = Golden.load("lora/lora_transformer_seed7001");
        transformer = PixArtTransformer.load(Golden.model(golden.params().get("transformer_path").asText()),
                Device.cpu(), DataType.FLOAT32, TransformerOptions.defaults());
        merger = new LoraMerger(transformer);
    }

    @AfterAll
    static void close() {
        transformer.close();
        golden.close();
    }

    static Path lora(String name) {
        return Golden.model("lora/" + name);
    }

    static float[] forward() {
        try (NDManager m = Torch.newManager()) {
            NDArray x = m.create(golden.floats("hidden_states"), new Shape(golden.shape("hidden_states")));
            NDArray t = m.create(golden.longs("timestep"), new Shape(golden.shape("timestep")));
            NDArray text = m.create(golden.floats("encoder_hidden_states"), new Shape(golden.shape("encoder_hidden_states")));
            NDArray mask = m.create(golden.longs("encoder_attention_mask"), new Shape(golden.shape("encoder_attention_mask")));
            return transformer.forward(x, t, text, mask, null, null).toFloatArray();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lora-peft", "lora-diffusers.safetensors", "lora-kohya.safetensors"})
    void everyLayoutMatchesTheReferenceAtBothStrengths(String layout) {
        merger.apply(List.of());
        float[] plain = forward();
        Golden.assertCloseModule("no LoRA", golden.floats("output_no_lora"), plain, 1e-4);
        for (double s : new double[] {1.0, 0.7}) {
            List<LoraMerger.Applied> applied = merger.apply(List.of(new LoraSpec(lora(layout), s)));
            assertEquals(1, applied.size());
            assertEquals(20, applied.get(0).modules(), layout + ": every target merged");
            String ref = s == 1.0 ? "output_lora_s10" : "output_lora_s07";
            float[] out = forward();
            Golden.assertCloseModule(layout + " strength " + s, golden.floats(ref), out, 1e-4);
            assertTrue(Golden.maxDiff(plain, out) > 1e-3, "the LoRA must change the output");
            System.out.printf("lora golden %s s=%.1f: max|out - ref| = %.2e%n", layout, s,
                    Golden.maxDiff(golden.floats(ref), out));
        }
        merger.apply(List.of());
        assertArrayEquals(plain, forward(), layout + ": restoring gives back the exact transformer");
    }

    @Test
    void layoutsAreRecognisedWithTheirScale() {
        for (String l : LAYOUTS) {
            LoraFile f = LoraFile.read(lora(l));
            assertEquals(20, f.factors().size(), l);
            for (LoraFile.Factors x : f.factors()) {
                assertEquals(4, x.rank());
                assertEquals(1.0, x.scale(), 0.0, l + " " + x.module() + ": alpha/r = 4/4 (diffusers: no alpha → 1)");
            }
        }
        assertEquals(LoraFile.Layout.PEFT, LoraFile.read(lora(LAYOUTS[0])).layout());
        assertEquals(LoraFile.Layout.DIFFUSERS, LoraFile.read(lora(LAYOUTS[1])).layout());
        assertEquals(LoraFile.Layout.KOHYA, LoraFile.read(lora(LAYOUTS[2])).layout());
    }

    @Test
    void twoLorasStackAndTheSameSetIsNotMergedTwice() {
        merger.apply(List.of());
        // the same LoRA twice at 0.5 is the LoRA once at 1.0 (up to float rounding)
        merger.apply(List.of(new LoraSpec(lora(LAYOUTS[1]), 0.5), new LoraSpec(lora(LAYOUTS[2]), 0.5)));
        Golden.assertCloseModule("two halves", golden.floats("output_lora_s10"), forward(), 1e-4);
        NDArray before = transformer.linearWeight("transformer_blocks.0.attn1.to_q");
        merger.apply(List.of(new LoraSpec(lora(LAYOUTS[1]), 0.5), new LoraSpec(lora(LAYOUTS[2]), 0.5)));
        assertTrue(before == transformer.linearWeight("transformer_blocks.0.attn1.to_q"), "unchanged set: no work");
        merger.apply(List.of());
    }

    @Test
    void peftScaleFollowsAlphaAndRankPatterns() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("adapter"));
        Files.copy(lora("lora-peft/adapter_model.safetensors"), dir.resolve("adapter_model.safetensors"));
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"LORA\",\"r\":4,\"lora_alpha\":8,"
                + "\"alpha_pattern\":{\"attn2.to_q\":2}}");
        LoraFile f = LoraFile.read(dir);
        for (LoraFile.Factors x : f.factors()) {
            assertEquals(x.module().endsWith("attn2.to_q") ? 0.5 : 2.0, x.scale(), 0.0, x.module());
        }
        Files.writeString(dir.resolve("adapter_config.json"), "{\"r\":8,\"lora_alpha\":8}");
        LoraException e = assertThrows(LoraException.class, () -> LoraFile.read(dir));
        assertTrue(e.getMessage().contains("rank 8") && e.getMessage().contains("rank 4"), e.getMessage());
    }

    @Test
    void refusedLorasNameTheModuleAndLeaveTheTransformerAlone() throws IOException {
        merger.apply(List.of());
        float[] plain = forward();

        Path missing = tmp.resolve("missing-target.safetensors");
        new SafetensorsWriter()
                .putFloats("transformer.transformer_blocks.7.attn1.to_q.lora_A.weight", new long[] {4, 16}, new float[64])
                .putFloats("transformer.transformer_blocks.7.attn1.to_q.lora_B.weight", new long[] {16, 4}, new float[64])
                .write(missing);
        assertRefused(missing, "transformer_blocks.7.attn1.to_q", "does not exist");

        Path wrongShape = tmp.resolve("wrong-shape.safetensors");
        new SafetensorsWriter()
                .putFloats("transformer.transformer_blocks.0.attn1.to_q.lora_A.weight", new long[] {4, 32}, new float[128])
                .putFloats("transformer.transformer_blocks.0.attn1.to_q.lora_B.weight", new long[] {16, 4}, new float[64])
                .write(wrongShape);
        assertRefused(wrongShape, "transformer_blocks.0.attn1.to_q", "16 × 16");

        Path rank = tmp.resolve("rank-mismatch.safetensors");
        new SafetensorsWriter()
                .putFloats("lora_transformer_transformer_blocks_0_attn1_to_q.lora_down.weight", new long[] {4, 16}, new float[64])
                .putFloats("lora_transformer_transformer_blocks_0_attn1_to_q.lora_up.weight", new long[] {16, 8}, new float[128])
                .write(rank);
        assertRefused(rank, "transformer_blocks_0_attn1_to_q", "rank mismatch");

        Path sdxl = tmp.resolve("sdxl.safetensors");
        new SafetensorsWriter()
                .putFloats("lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight",
                        new long[] {4, 640}, new float[2560])
                .putFloats("lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight",
                        new long[] {640, 4}, new float[2560])
                .write(sdxl);
        assertRefused(sdxl, "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q", "another model");

        Path kohyaUnknown = tmp.resolve("kohya-unknown.safetensors");
        new SafetensorsWriter()
                .putFloats("lora_transformer_single_transformer_blocks_0_proj_mlp.lora_down.weight", new long[] {4, 16}, new float[64])
                .putFloats("lora_transformer_single_transformer_blocks_0_proj_mlp.lora_up.weight", new long[] {16, 4}, new float[64])
                .putRaw("lora_transformer_single_transformer_blocks_0_proj_mlp.alpha", TensorDType.F32, new long[] {},
                        new byte[] {0, 0, (byte) 0x80, 0x40})
                .write(kohyaUnknown);
        assertRefused(kohyaUnknown, "single_transformer_blocks_0_proj_mlp", "does not exist");

        assertThrows(LoraException.class, () -> LoraFile.read(tmp.resolve("nope.safetensors")));
        assertArrayEquals(plain, forward(), "a refused LoRA changes nothing");
        // a good LoRA before a bad one in the same set: nothing is merged either
        assertThrows(LoraException.class, () -> merger.apply(List.of(new LoraSpec(lora(LAYOUTS[1]), 1.0),
                new LoraSpec(missing, 1.0))));
        assertArrayEquals(plain, forward(), "a set with a refused LoRA changes nothing");
    }

    private void assertRefused(Path file, String module, String what) {
        LoraException e = assertThrows(LoraException.class, () -> merger.apply(List.of(new LoraSpec(file, 1.0))));
        assertTrue(e.getMessage().contains(module) && e.getMessage().contains(what)
                && e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        LoraException before = assertThrows(LoraException.class, () -> LoraMerger.checkBeforeLoading(
                List.of(new LoraSpec(file, 1.0)), Golden.model("tiny-pixart-sigma/transformer")));
        assertEquals(e.getMessage(), before.getMessage(), "the same check runs before loading");
    }

    @Test
    void specParsing() {
        assertEquals(new LoraSpec(Path.of("a/b.safetensors"), 0.7), LoraSpec.parse("a/b.safetensors:0.7"));
        assertEquals(new LoraSpec(Path.of("a/b.safetensors"), 1.0), LoraSpec.parse("a/b.safetensors"));
        assertEquals(new LoraSpec(Path.of("C:\\l\\x.safetensors"), 1.0), LoraSpec.parse("C:\\l\\x.safetensors"));
        assertEquals(new LoraSpec(Path.of("x.safetensors"), -0.5), LoraSpec.parse("x.safetensors:-0.5"));
        assertThrows(IllegalArgumentException.class, () -> LoraSpec.parse("x.safetensors:strong"));
        assertThrows(IllegalArgumentException.class, () -> LoraSpec.parse("x.safetensors:NaN"));
        assertThrows(IllegalArgumentException.class, () -> LoraSpec.parse("x.safetensors:50"));
    }
}

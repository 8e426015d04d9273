package studio.pixart.engine.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.SafetensorsException;
import studio.pixart.engine.io.SafetensorsFile;
import studio.pixart.engine.io.SafetensorsWriter;
import studio.pixart.engine.nd.Torch;

class AutoencoderKLTest {
    static final double TOL = 1e-4; // README §6: module outputs max|Δ| ≤ 1e-4·max(1, max|ref|)

    @BeforeAll
    static void engine() {
        Torch.prepareThread();
    }

    static Path tinyVae() {
        return Golden.model("tiny-pixart-sigma/vae");
    }

    @Test
    void configOfTheGoldenVae() {
        VaeConfig c = VaeConfig.load(tinyVae());
        assertEquals(0.13025, c.scalingFactor(), 0);
        assertEquals(0.0, c.shiftFactor(), 0);
        assertEquals(2, c.scaleFactor());
        assertEquals(4, c.latentChannels());
        VaeConfig c256 = VaeConfig.load(Golden.model("tiny-pixart-sigma-256/vae"));
        assertEquals(8, c256.scaleFactor());
        assertEquals(0.18215, VaeConfig.load(Golden.model("tiny-pixart-alpha/vae")).scalingFactor(), 0);
    }

    @Test
    void decode8x8() {
        checkDecode("vae/vae_decode_8x8");
    }

    @Test
    void decode8x12() {
        checkDecode("vae/vae_decode_8x12");
    }

    private static void checkDecode(String name) {
        try (Golden g = Golden.load(name);
                AutoencoderKL vae = AutoencoderKL.load(Golden.model(g.params().get("model_path").asText()));
                NDManager m = Torch.newManager()) {
            NDArray latents = m.create(g.floats("latents"), new Shape(g.shape("latents")));
            try (NDArray z = vae.unscaleLatents(latents)) {
                Golden.assertCloseModule(name + " z", g.floats("z"), z.toFloatArray(), 1e-6);
            }
            NDArray z = m.create(g.floats("z"), new Shape(g.shape("z")));
            Map<String, float[]> seen = new HashMap<>();
            NDArray sample = vae.decode(z, (n, x) -> seen.put(n, x.toFloatArray()));
            assertEquals(m, sample.getManager(), "result belongs to the caller's manager");
            assertArrayEquals(g.shape("sample"), sample.getShape().getShape());
            for (String t : new String[] {"post_quant_conv", "decoder_conv_in", "decoder_mid_block",
                    "decoder_up_block_0", "decoder_up_block_1"}) {
                assertTrue(seen.containsKey(t), t);
                Golden.assertCloseModule(name + " " + t, g.floats(t), seen.get(t), TOL);
            }
            Golden.assertCloseModule(name + " sample", g.floats("sample"), sample.toFloatArray(), TOL);
            Golden.assertCloseAbsolute(name + " image_np", g.floats("image_np"), AutoencoderKL.toImage(sample), TOL);
        }
    }

    @Test
    void encode16x16() {
        checkEncode("vae/vae_encode_16x16");
    }

    @Test
    void encode16x24() {
        checkEncode("vae/vae_encode_16x24");
    }

    private static void checkEncode(String name) {
        try (Golden g = Golden.load(name);
                AutoencoderKL vae = AutoencoderKL.load(Golden.model(g.params().get("model_path").asText()));
                NDManager m = Torch.newManager()) {
            NDArray image = m.create(g.floats("image"), new Shape(g.shape("image")));
            Map<String, float[]> seen = new HashMap<>();
            AutoencoderKL.Moments mo = vae.encodeMoments(image, (n, x) -> seen.put(n, x.toFloatArray()));
            Golden.assertCloseModule(name + " encoder_out", g.floats("encoder_out"), seen.get("encoder_out"), TOL);
            Golden.assertCloseModule(name + " moments", g.floats("moments"), seen.get("moments"), TOL);
            Golden.assertCloseModule(name + " mean", g.floats("mean"), mo.mean().toFloatArray(), TOL);
            Golden.assertCloseModule(name + " logvar", g.floats("logvar"), mo.logvar().toFloatArray(), TOL);
            Golden.assertCloseModule(name + " std", g.floats("std"), mo.std().toFloatArray(), TOL);
            assertEquals(m, mo.mean().getManager());
        }
    }

    @Test
    void olderAttentionNamesAndConvShapedWeightsGiveTheSameDecode(@TempDir Path dir) throws IOException {
        try (SafetensorsFile src = SafetensorsFile.open(tinyVae().resolve("diffusion_pytorch_model.safetensors"))) {
            SafetensorsWriter w = new SafetensorsWriter();
            Map<String, String> rename = Map.of(".to_q.", ".query.", ".to_k.", ".key.", ".to_v.", ".value.", ".to_out.0.", ".proj_attn.");
            for (String n : src.tensors().keySet()) {
                String out = n;
                long[] shape = src.info(n).shape();
                for (Map.Entry<String, String> e : rename.entrySet()) {
                    if (n.contains(e.getKey())) {
                        out = n.replace(e.getKey(), e.getValue());
                        if (shape.length == 2) {
                            shape = new long[] {shape[0], shape[1], 1, 1};
                        }
                    }
                }
                w.putFloats(out, shape, src.floats(n));
            }
            w.write(dir.resolve("diffusion_pytorch_model.safetensors"));
        }
        Files.copy(tinyVae().resolve("config.json"), dir.resolve("config.json"));
        try (Golden g = Golden.load("vae/vae_decode_8x12");
                AutoencoderKL vae = AutoencoderKL.load(dir);
                NDManager m = Torch.newManager()) {
            NDArray sample = vae.decode(m.create(g.floats("z"), new Shape(g.shape("z"))));
            Golden.assertCloseModule("renamed sample", g.floats("sample"), sample.toFloatArray(), TOL);
        }
    }

    /** Copies the golden VAE with one tensor dropped or reshaped, or a changed config. */
    private static Path variant(Path dir, String drop, String reshape, String configFrom, String configTo) throws IOException {
        try (SafetensorsFile src = SafetensorsFile.open(tinyVae().resolve("diffusion_pytorch_model.safetensors"))) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (String n : src.tensors().keySet()) {
                if (n.equals(drop)) {
                    continue;
                }
                float[] v = src.floats(n);
                w.putFloats(n, n.equals(reshape) ? new long[] {v.length} : src.info(n).shape(), v);
            }
            w.write(dir.resolve("diffusion_pytorch_model.safetensors"));
        }
        String cfg = Files.readString(tinyVae().resolve("config.json"));
        if (configFrom != null) {
            cfg = cfg.replace(configFrom, configTo);
        }
        Files.writeString(dir.resolve("config.json"), cfg);
        return dir;
    }

    @Test
    void missingTensorIsNamed(@TempDir Path dir) throws IOException {
        variant(dir, "decoder.up_blocks.1.resnets.0.conv_shortcut.weight", null, null, null);
        Exception e = assertThrows(SafetensorsException.class, () -> AutoencoderKL.load(dir));
        assertTrue(e.getMessage().contains("decoder.up_blocks.1.resnets.0.conv_shortcut.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void wrongShapeIsNamed(@TempDir Path dir) throws IOException {
        variant(dir, null, "decoder.conv_in.weight", null, null);
        Exception e = assertThrows(SafetensorsException.class, () -> AutoencoderKL.load(dir));
        assertTrue(e.getMessage().contains("decoder.conv_in.weight") && e.getMessage().contains("[16, 4, 3, 3]"), e.getMessage());
    }

    @Test
    void configThatDoesNotMatchTheWeights(@TempDir Path dir) throws IOException {
        variant(dir, null, null, "\"layers_per_block\": 1", "\"layers_per_block\": 2");
        Exception e = assertThrows(SafetensorsException.class, () -> AutoencoderKL.load(dir));
        assertTrue(e.getMessage().contains("resnets.1") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void badConfigValues(@TempDir Path dir) throws IOException {
        Path a = Files.createDirectory(dir.resolve("a"));
        variant(a, null, null, "\"norm_num_groups\": 4", "\"norm_num_groups\": 3");
        Exception e = assertThrows(ConfigException.class, () -> AutoencoderKL.load(a));
        assertTrue(e.getMessage().contains("norm_num_groups") && e.getMessage().contains("config.json"), e.getMessage());
        Path b = Files.createDirectory(dir.resolve("b"));
        variant(b, null, null, "\"scaling_factor\": 0.13025", "\"scaling_factor\": \"big\"");
        e = assertThrows(ConfigException.class, () -> AutoencoderKL.load(b));
        assertTrue(e.getMessage().contains("scaling_factor"), e.getMessage());
        Path c = Files.createDirectory(dir.resolve("c"));
        variant(c, null, null, "\"block_out_channels\": [", "\"block_out_channels\": 5, \"x\": [");
        e = assertThrows(ConfigException.class, () -> AutoencoderKL.load(c));
        assertTrue(e.getMessage().contains("block_out_channels"), e.getMessage());
        Path d = Files.createDirectory(dir.resolve("d"));
        Files.writeString(d.resolve("config.json"), "{ not json");
        e = assertThrows(ConfigException.class, () -> AutoencoderKL.load(d));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void shiftFactorIsAppliedWhenPresent(@TempDir Path dir) throws IOException {
        variant(dir, null, null, "\"shift_factor\": null", "\"shift_factor\": 0.5");
        try (AutoencoderKL vae = AutoencoderKL.load(dir); NDManager m = Torch.newManager()) {
            assertEquals(0.5, vae.config().shiftFactor(), 0);
            NDArray latents = m.create(new float[] {0.13025f, -0.2605f}, new Shape(2));
            assertArrayEquals(new float[] {1.5f, -1.5f}, vae.unscaleLatents(latents).toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0.13025f, -0.2605f},
                    vae.scaleLatents(vae.unscaleLatents(latents)).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void nonFiniteOutputIsAClearError() {
        try (AutoencoderKL vae = AutoencoderKL.load(tinyVae()); NDManager m = Torch.newManager()) {
            float[] z = new float[4 * 4 * 4];
            z[5] = Float.NaN;
            NDArray bad = m.create(z, new Shape(1, 4, 4, 4));
            VaeException e = assertThrows(VaeException.class, () -> vae.decode(bad));
            assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("float32"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> vae.decode(m.zeros(new Shape(1, 3, 4, 4))));
        }
    }
}

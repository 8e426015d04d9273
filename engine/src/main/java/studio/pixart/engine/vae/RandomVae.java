package studio.pixart.engine.vae;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import studio.pixart.engine.io.AtomicFiles;
import studio.pixart.engine.io.SafetensorsWriter;
import studio.pixart.engine.io.TensorDType;

/**
 * Writes a diffusers-layout AutoencoderKL folder (config.json + safetensors) with seeded random
 * weights, the goldens' recipe: conv/linear weights randn/sqrt(fan_in), biases 0.2·randn, norm
 * gains 1 + 0.2·randn, decoder.conv_out halved. The parameter list is written out here
 * independently of {@link AutoencoderKL}'s loader, from diffusers' layout. Used by tests and by
 * {@code pixart bench} and {@code pixart rehearse} to time a VAE of the real configuration without a
 * download. Each tensor has its own generator (seeded from the seed and the tensor's position in
 * the list) and is produced while the file is written, so the real 335 MB VAE is never in memory.
 */
public final class RandomVae {
    private final SafetensorsWriter w = new SafetensorsWriter();
    private final long seed;
    private int tensors;

    private RandomVae(long seed) {
        this.seed = seed;
    }

    /** SDXL-VAE layout: 4 blocks, 2 layers per block, mid-block attention; widths and groups as given. */
    public static VaeConfig sdxlLayout(int[] widths, int groups) {
        return new VaeConfig(3, 3, 4, widths, 2, groups, 0.13025, 0.0, true, true, true);
    }

    public static Path write(Path dir, VaeConfig c, long seed) throws IOException {
        Files.createDirectories(dir);
        RandomVae r = new RandomVae(seed);
        r.all(c);
        r.w.write(dir.resolve("diffusion_pytorch_model.safetensors"));
        AtomicFiles.writeString(dir.resolve("config.json"), c.toJson());
        return dir;
    }

    private void all(VaeConfig c) {
        int[] b = c.blockOutChannels();
        int n = b.length;
        int lat = c.latentChannels();
        conv("encoder.conv_in", b[0], c.inChannels(), 3, 1f);
        int in = b[0];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c.layersPerBlock(); j++) {
                resnet("encoder.down_blocks." + i + ".resnets." + j, j == 0 ? in : b[i], b[i]);
            }
            if (i < n - 1) {
                conv("encoder.down_blocks." + i + ".downsamplers.0.conv", b[i], b[i], 3, 1f);
            }
            in = b[i];
        }
        mid("encoder.mid_block", b[n - 1]);
        norm("encoder.conv_norm_out", b[n - 1]);
        conv("encoder.conv_out", 2 * lat, b[n - 1], 3, 1f);
        conv("quant_conv", 2 * lat, 2 * lat, 1, 1f);
        conv("post_quant_conv", lat, lat, 1, 1f);
        conv("decoder.conv_in", b[n - 1], lat, 3, 1f);
        mid("decoder.mid_block", b[n - 1]);
        in = b[n - 1];
        for (int i = 0; i < n; i++) {
            int out = b[n - 1 - i];
            for (int j = 0; j <= c.layersPerBlock(); j++) {
                resnet("decoder.up_blocks." + i + ".resnets." + j, j == 0 ? in : out, out);
            }
            if (i < n - 1) {
                conv("decoder.up_blocks." + i + ".upsamplers.0.conv", out, out, 3, 1f);
            }
            in = out;
        }
        norm("decoder.conv_norm_out", b[0]);
        conv("decoder.conv_out", c.outChannels(), b[0], 3, 0.5f);
    }

    private void mid(String p, int ch) {
        resnet(p + ".resnets.0", ch, ch);
        norm(p + ".attentions.0.group_norm", ch);
        for (String s : new String[] {"to_q", "to_k", "to_v", "to_out.0"}) {
            put(p + ".attentions.0." + s + ".weight", new long[] {ch, ch}, 0f, (float) (1 / Math.sqrt(ch)));
            put(p + ".attentions.0." + s + ".bias", new long[] {ch}, 0f, 0.2f);
        }
        resnet(p + ".resnets.1", ch, ch);
    }

    private void resnet(String p, int in, int out) {
        norm(p + ".norm1", in);
        conv(p + ".conv1", out, in, 3, 1f);
        norm(p + ".norm2", out);
        conv(p + ".conv2", out, out, 3, 1f);
        if (in != out) {
            conv(p + ".conv_shortcut", out, in, 1, 1f);
        }
    }

    private void conv(String p, int out, int in, int k, float gain) {
        put(p + ".weight", new long[] {out, in, k, k}, 0f, gain / (float) Math.sqrt(in * k * k));
        put(p + ".bias", new long[] {out}, 0f, 0.2f * gain);
    }

    private void norm(String p, int ch) {
        put(p + ".weight", new long[] {ch}, 1f, 0.2f);
        put(p + ".bias", new long[] {ch}, 0f, 0.2f);
    }

    private void put(String name, long[] shape, float mean, float std) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        long count = n;
        Random rnd = new Random(seed * 1_000_003L + tensors++);
        w.putStreamed(name, TensorDType.F32, shape, out -> {
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < count; i++) {
                if (!b.hasRemaining()) {
                    out.write(b.array(), 0, b.position());
                    b.clear();
                }
                b.putFloat(mean + std * (float) rnd.nextGaussian());
            }
            out.write(b.array(), 0, b.position());
        });
    }
}

package studio.pixart.engine.vae;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import studio.pixart.engine.io.Checkpoint;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.SafetensorsException;
import studio.pixart.engine.nd.Torch;

/**
 * diffusers' {@code AutoencoderKL} (the SD / SDXL VAE) on DJL: the decoder turns latents into
 * images, the encoder turns images into a diagonal Gaussian over latents (for image-to-image).
 *
 * <p>Layout (parameter names exactly as in {@code diffusion_pytorch_model.safetensors}):
 * <pre>
 * encoder: conv_in → down_blocks[i] (layers_per_block resnets, Downsample2D on all but the last)
 *          → mid_block (resnet, attention, resnet) → conv_norm_out → SiLU → conv_out (2·latent)
 *          → quant_conv (1×1)
 * decoder: post_quant_conv (1×1) → conv_in → mid_block → up_blocks[i] (widths reversed,
 *          layers_per_block + 1 resnets, Upsample2D on all but the last) → conv_norm_out → SiLU → conv_out
 * </pre>
 * GroupNorm and SiLU are not native in DJL and are composed here. Every block runs in its own
 * sub-manager so only the block's output survives it; results land in the caller's manager.
 */
public final class AutoencoderKL implements AutoCloseable {
    /** diffusers builds every GroupNorm of the VAE with eps 1e-6. */
    static final float NORM_EPS = 1e-6f;
    /** Attention scores per chunk of queries are kept below this many elements (64 MB in float32). */
    private static final long ATTENTION_CHUNK_ELEMENTS = 16L << 20;

    /** Receives named intermediate activations (for tests / debugging); must not keep the arrays. */
    public interface Probe extends BiConsumer<String, NDArray> {}

    /** The encoder's diagonal Gaussian: mean and log-variance (already clamped to [−30, 20]). */
    public record Moments(NDArray mean, NDArray logvar) implements AutoCloseable {
        /** Splits the raw quant_conv output [mean | logvar] and clamps logvar to [−30, 20]. */
        public static Moments split(NDArray raw) {
            NDList halves = raw.split(2, 1);
            NDArray logvar = halves.get(1).clip(-30.0, 20.0);
            halves.get(1).close();
            return new Moments(halves.get(0), logvar);
        }

        /** exp(0.5·logvar), in the mean's manager. */
        public NDArray std() {
            return logvar.mul(0.5).exp();
        }

        /** mean + std·noise (noise shaped like the mean). */
        public NDArray sample(NDArray noise) {
            try (NDArray std = std()) {
                return mean.add(noise.mul(std));
            }
        }

        @Override
        public void close() {
            mean.close();
            logvar.close();
        }
    }

    private final VaeConfig config;
    private final NDManager weights;
    private final Device device;
    private final DataType dtype;
    private final Encoder encoder;
    private final Decoder decoder;

    private AutoencoderKL(VaeConfig config, NDManager weights, Device device, DataType dtype, Encoder encoder, Decoder decoder) {
        this.config = config;
        this.weights = weights;
        this.device = device;
        this.dtype = dtype;
        this.encoder = encoder;
        this.decoder = decoder;
    }

    /** Loads a VAE folder ({@code config.json} + weights) on the CPU in float32. */
    public static AutoencoderKL load(Path vaeDir) {
        return load(vaeDir, Device.cpu(), DataType.FLOAT32);
    }

    /**
     * Loads a VAE folder. Use float32 unless you know the VAE survives float16: the SDXL VAE
     * overflows in float16 (the pipeline's {@code force_upcast}); {@link #decode} reports NaN/Inf.
     */
    public static AutoencoderKL load(Path vaeDir, Device device, DataType dtype) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("the VAE computes in float32 or float16, not " + dtype);
        }
        VaeConfig config = VaeConfig.load(vaeDir);
        NDManager weights = Torch.engine().newBaseManager(device);
        try (Checkpoint ckpt = Checkpoint.open(vaeDir)) {
            Loader l = new Loader(ckpt, weights, dtype, config);
            Encoder encoder = new Encoder(l, config);
            Decoder decoder = new Decoder(l, config);
            l.checkAllUsed();
            // Any op that would put its result into the weights' manager (an op started from a
            // weight instead of an activation) now fails at once instead of leaking per call.
            weights.cap();
            return new AutoencoderKL(config, weights, device, dtype, encoder, decoder);
        } catch (RuntimeException e) {
            weights.close();
            if (e instanceof ConfigException || e instanceof SafetensorsException) {
                throw e;
            }
            throw new ConfigException(vaeDir, "cannot load the VAE: " + e.getMessage());
        }
    }

    public VaeConfig config() {
        return config;
    }

    public DataType dtype() {
        return dtype;
    }

    public Device device() {
        return device;
    }

    /** Denoised latents → what {@link #decode} takes: latents / scaling_factor + shift_factor. */
    public NDArray unscaleLatents(NDArray latents) {
        NDArray z = latents.div(config.scalingFactor());
        return config.shiftFactor() == 0 ? z : z.addi(config.shiftFactor());
    }

    /** An encoder sample → diffusion latents: (z − shift_factor) · scaling_factor. */
    public NDArray scaleLatents(NDArray z) {
        NDArray shifted = config.shiftFactor() == 0 ? z.duplicate() : z.sub(config.shiftFactor());
        return shifted.muli(config.scalingFactor());
    }

    // ------------------------------------------------------------------------------------------
    // Public entry points
    // ------------------------------------------------------------------------------------------

    /** (B, latent, h, w), already divided by the scaling factor → (B, out, h·f, w·f) float32, unclamped. */
    public NDArray decode(NDArray z) {
        return decode(z, null);
    }

    public NDArray decode(NDArray z, Probe probe) {
        Shape s = z.getShape();
        if (s.dimension() != 4 || s.get(1) != config.latentChannels()) {
            throw new IllegalArgumentException("decode expects latents (B, " + config.latentChannels() + ", h, w), got " + s);
        }
        NDManager caller = z.getManager();
        try (NDManager work = caller.newSubManager(device)) {
            NDArray x = prepareInput(z, work);
            NDArray out = decoder.forward(x, work, probe);
            NDArray result = out.toType(DataType.FLOAT32, false);
            checkFinite(result, "decode", dtype);
            result.attach(caller);
            return result;
        }
    }

    /**
     * Image (B, in, H, W) in [−1, 1] → the quant_conv output (B, 2·latent, H/f, W/f): the raw
     * moments [mean | logvar] before the log-variance is clamped.
     */
    public NDArray encodeRaw(NDArray image) {
        return encodeRaw(image, null);
    }

    public NDArray encodeRaw(NDArray image, Probe probe) {
        Shape s = image.getShape();
        if (s.dimension() != 4 || s.get(1) != config.inChannels()) {
            throw new IllegalArgumentException("encode expects images (B, " + config.inChannels() + ", H, W), got " + s);
        }
        NDManager caller = image.getManager();
        try (NDManager work = caller.newSubManager(device)) {
            NDArray x = prepareInput(image, work);
            NDArray out = encoder.forward(x, work, probe);
            NDArray result = out.toType(DataType.FLOAT32, false);
            checkFinite(result, "encode", dtype);
            result.attach(caller);
            return result;
        }
    }

    /** The encoder's latent distribution (mean, logvar clamped to [−30, 20]) in the image's manager. */
    public Moments encodeMoments(NDArray image) {
        return encodeMoments(image, null);
    }

    public Moments encodeMoments(NDArray image, Probe probe) {
        try (NDArray raw = encodeRaw(image, probe)) {
            return Moments.split(raw);
        }
    }

    /**
     * The pipeline's {@code output_type="np"} post-processing: clamp(x/2 + 0.5, 0, 1) and
     * NCHW → NHWC, as a flat float array of B·H·W·C values.
     */
    public static float[] toImage(NDArray sample) {
        Shape s = sample.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("expected (B, C, H, W), got " + s);
        }
        float[] src = sample.toType(DataType.FLOAT32, false).toFloatArray();
        return toImage(src, (int) s.get(0), (int) s.get(1), (int) s.get(2), (int) s.get(3));
    }

    /** {@link #toImage(NDArray)} on a float array in NCHW order. */
    public static float[] toImage(float[] nchw, int b, int c, int h, int w) {
        float[] out = new float[nchw.length];
        int plane = h * w;
        for (int n = 0; n < b; n++) {
            for (int ch = 0; ch < c; ch++) {
                int srcBase = (n * c + ch) * plane;
                int dstBase = n * plane * c + ch;
                for (int p = 0; p < plane; p++) {
                    float v = nchw[srcBase + p] / 2f + 0.5f;
                    out[dstBase + p * c] = v < 0f ? 0f : (v > 1f ? 1f : v);
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        weights.close();
    }

    // ------------------------------------------------------------------------------------------
    // Encoder and decoder
    // ------------------------------------------------------------------------------------------

    private static final class Encoder {
        final Conv convIn;
        final List<ResnetBlock[]> downResnets = new ArrayList<>();
        final List<Conv> downsamplers = new ArrayList<>();
        final MidBlock mid;
        final GroupNorm normOut;
        final Conv convOut;
        final Conv quantConv;

        Encoder(Loader l, VaeConfig c) {
            int[] widths = c.blockOutChannels();
            convIn = l.conv("encoder.conv_in", widths[0], c.inChannels(), 3);
            int in = widths[0];
            for (int i = 0; i < widths.length; i++) {
                String p = "encoder.down_blocks." + i;
                ResnetBlock[] resnets = new ResnetBlock[c.layersPerBlock()];
                for (int j = 0; j < resnets.length; j++) {
                    resnets[j] = new ResnetBlock(l, p + ".resnets." + j, j == 0 ? in : widths[i], widths[i]);
                }
                downResnets.add(resnets);
                boolean last = i == widths.length - 1;
                downsamplers.add(last ? null : l.conv(p + ".downsamplers.0.conv", widths[i], widths[i], 3));
                in = widths[i];
            }
            mid = new MidBlock(l, "encoder.mid_block", c.deepestChannels(), c.midBlockAddAttention());
            normOut = l.norm("encoder.conv_norm_out", c.deepestChannels());
            convOut = l.conv("encoder.conv_out", 2 * c.latentChannels(), c.deepestChannels(), 3);
            quantConv = c.useQuantConv() ? l.conv("quant_conv", 2 * c.latentChannels(), 2 * c.latentChannels(), 1) : null;
        }

        NDArray forward(NDArray image, NDManager work, Probe probe) {
            Flow f = new Flow(image, work).then(a -> convIn.apply(a, 1));
            for (int i = 0; i < downResnets.size(); i++) {
                for (ResnetBlock r : downResnets.get(i)) {
                    f.then(r::forward);
                }
                Conv down = downsamplers.get(i);
                if (down != null) {
                    // Downsample2D with padding=0: pad right and bottom by one zero, then stride 2.
                    f.then(a -> down.apply(a.pad(new Shape(0, 1, 0, 1), 0), 2, 0));
                }
            }
            f.then(mid::forward).then(a -> convOut.apply(siluInPlace(normOut.apply(a)), 1));
            report(probe, "encoder_out", f.x);
            if (quantConv != null) {
                f.then(a -> quantConv.apply(a, 1));
            }
            report(probe, "moments", f.x);
            return f.x;
        }
    }

    private static final class Decoder {
        final Conv postQuantConv;
        final Conv convIn;
        final MidBlock mid;
        final List<ResnetBlock[]> upResnets = new ArrayList<>();
        final List<Conv> upsamplers = new ArrayList<>();
        final GroupNorm normOut;
        final Conv convOut;

        Decoder(Loader l, VaeConfig c) {
            int[] widths = c.blockOutChannels();
            int latent = c.latentChannels();
            postQuantConv = c.usePostQuantConv() ? l.conv("post_quant_conv", latent, latent, 1) : null;
            convIn = l.conv("decoder.conv_in", c.deepestChannels(), latent, 3);
            mid = new MidBlock(l, "decoder.mid_block", c.deepestChannels(), c.midBlockAddAttention());
            int in = c.deepestChannels();
            for (int i = 0; i < widths.length; i++) {
                int out = widths[widths.length - 1 - i];
                String p = "decoder.up_blocks." + i;
                ResnetBlock[] resnets = new ResnetBlock[c.layersPerBlock() + 1];
                for (int j = 0; j < resnets.length; j++) {
                    resnets[j] = new ResnetBlock(l, p + ".resnets." + j, j == 0 ? in : out, out);
                }
                upResnets.add(resnets);
                boolean last = i == widths.length - 1;
                upsamplers.add(last ? null : l.conv(p + ".upsamplers.0.conv", out, out, 3));
                in = out;
            }
            normOut = l.norm("decoder.conv_norm_out", widths[0]);
            convOut = l.conv("decoder.conv_out", c.outChannels(), widths[0], 3);
        }

        NDArray forward(NDArray z, NDManager work, Probe probe) {
            Flow f = new Flow(z, work);
            if (postQuantConv != null) {
                f.then(a -> postQuantConv.apply(a, 1));
            }
            report(probe, "post_quant_conv", f.x);
            f.then(a -> convIn.apply(a, 1));
            report(probe, "decoder_conv_in", f.x);
            f.then(mid::forward);
            report(probe, "decoder_mid_block", f.x);
            for (int i = 0; i < upResnets.size(); i++) {
                for (ResnetBlock r : upResnets.get(i)) {
                    f.then(r::forward);
                }
                Conv up = upsamplers.get(i);
                if (up != null) {
                    // Upsample2D: nearest-neighbour ×2, then a 3×3 conv.
                    f.then(a -> {
                        try (NDArray big = upsampleNearest2x(a)) {
                            return up.apply(big, 1);
                        }
                    });
                }
                report(probe, "decoder_up_block_" + i, f.x);
            }
            return f.then(a -> convOut.apply(siluInPlace(normOut.apply(a)), 1)).x;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Building blocks
    // ------------------------------------------------------------------------------------------

    /** UNetMidBlock2D with one layer: resnet → (attention) → resnet. */
    private static final class MidBlock {
        final ResnetBlock resnet0;
        final Attention attention;
        final ResnetBlock resnet1;

        MidBlock(Loader l, String p, int channels, boolean withAttention) {
            resnet0 = new ResnetBlock(l, p + ".resnets.0", channels, channels);
            attention = withAttention ? new Attention(l, p + ".attentions.0", channels) : null;
            resnet1 = new ResnetBlock(l, p + ".resnets.1", channels, channels);
        }

        NDArray forward(NDArray x) {
            Flow f = new Flow(x, x.getManager()).then(resnet0::forward);
            if (attention != null) {
                f.then(attention::forward);
            }
            return f.then(resnet1::forward).x;
        }
    }

    /** ResnetBlock2D: GN → SiLU → conv3×3 → GN → SiLU → conv3×3, plus the (1×1-projected) input. */
    private static final class ResnetBlock {
        final GroupNorm norm1;
        final Conv conv1;
        final GroupNorm norm2;
        final Conv conv2;
        final Conv shortcut;

        ResnetBlock(Loader l, String p, int in, int out) {
            norm1 = l.norm(p + ".norm1", in);
            conv1 = l.conv(p + ".conv1", out, in, 3);
            norm2 = l.norm(p + ".norm2", out);
            conv2 = l.conv(p + ".conv2", out, out, 3);
            shortcut = in != out ? l.conv(p + ".conv_shortcut", out, in, 1) : null;
        }

        NDArray forward(NDArray x) {
            // Intermediates are freed as soon as they are consumed: at most ~3 activations live.
            NDArray a = siluInPlace(norm1.apply(x));
            NDArray h = conv1.apply(a, 1);
            a.close();
            a = siluInPlace(norm2.apply(h));
            h.close();
            h = conv2.apply(a, 1);
            a.close();
            if (shortcut == null) {
                return h.addi(x);
            }
            try (NDArray residual = shortcut.apply(x, 1)) {
                return h.addi(residual);
            }
        }
    }

    /**
     * The VAE's single-head self-attention over the H·W positions: GroupNorm, q/k/v projections
     * (Linear), softmax(q·kᵀ/√C)·v, output projection, plus the input. Queries are processed in
     * chunks so the score matrix never exceeds {@link #ATTENTION_CHUNK_ELEMENTS}.
     */
    private static final class Attention {
        final GroupNorm norm;
        final NDArray[] q;
        final NDArray[] k;
        final NDArray[] v;
        final NDArray[] out;
        final double scale;

        Attention(Loader l, String p, int channels) {
            norm = l.norm(p + ".group_norm", channels);
            q = l.linear(p + ".to_q", channels, channels);
            k = l.linear(p + ".to_k", channels, channels);
            v = l.linear(p + ".to_v", channels, channels);
            out = l.linear(p + ".to_out.0", channels, channels);
            scale = 1.0 / Math.sqrt(channels);
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long c = s.get(1);
            long n = s.get(2) * s.get(3);
            NDArray seq = norm.apply(x).reshape(b, c, n).transpose(0, 2, 1); // (B, N, C)
            NDArray query = Linear.linear(seq, q[0], q[1]).singletonOrThrow();
            NDArray keyT = Linear.linear(seq, k[0], k[1]).singletonOrThrow().transpose(0, 2, 1); // (B, C, N)
            NDArray value = Linear.linear(seq, v[0], v[1]).singletonOrThrow();
            long chunk = Math.max(1, Math.min(n, ATTENTION_CHUNK_ELEMENTS / Math.max(1, b * n)));
            NDList parts = new NDList();
            NDManager work = x.getManager();
            for (long start = 0; start < n; start += chunk) {
                long end = Math.min(n, start + chunk);
                try (NDManager sub = work.newSubManager()) {
                    NDArray qc = query.get(sub, new NDIndex(":, {}:{}, :", start, end));
                    NDArray probs = qc.matMul(keyT).muli(scale).softmax(-1);
                    NDArray part = probs.matMul(value);
                    part.attach(work);
                    parts.add(part);
                }
            }
            NDArray attended = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 1);
            NDArray projected = Linear.linear(attended, out[0], out[1]).singletonOrThrow();
            return projected.transpose(0, 2, 1).reshape(s).add(x);
        }
    }

    /** A 2-D convolution's weight and bias (stride and padding are given per call). */
    private record Conv(NDArray weight, NDArray bias, int kernel) {
        /** Stride 1, "same" padding. */
        NDArray apply(NDArray x, int stride) {
            return apply(x, stride, kernel / 2);
        }

        NDArray apply(NDArray x, int stride, int padding) {
            return x.getNDArrayInternal().convolution(x, weight, bias, new Shape(stride, stride),
                    new Shape(padding, padding), new Shape(1, 1), 1).singletonOrThrow();
        }
    }

    /**
     * GroupNorm composed from layerNorm: normalise (N, G, C/G·H·W) over its last axis (unit
     * gain, zero bias), then apply the per-channel gain and bias.
     */
    private record GroupNorm(NDArray gamma, NDArray beta, int groups) {
        NDArray apply(NDArray x) {
            Shape s = x.getShape();
            NDArray grouped = x.reshape(s.get(0), groups, -1);
            Shape normalized = new Shape(grouped.getShape().get(2));
            NDManager m = x.getManager();
            try (NDArray ones = m.ones(normalized, x.getDataType());
                    NDArray zeros = m.zeros(normalized, x.getDataType())) {
                NDArray y = LayerNorm.layerNorm(grouped, normalized, ones, zeros, NORM_EPS).singletonOrThrow();
                return y.reshape(s).muli(gamma).addi(beta);
            }
        }
    }

    /** SiLU in place: x ← x · sigmoid(x) (x must be a fresh intermediate, never a weight). */
    static NDArray siluInPlace(NDArray x) {
        try (NDArray sig = x.getNDArrayInternal().sigmoid()) {
            return x.muli(sig);
        }
    }

    static NDArray upsampleNearest2x(NDArray x) {
        Shape s = x.getShape();
        // DJL interpolation mode 0 is nearest (F.interpolate(scale_factor=2, mode="nearest")).
        return x.getNDArrayInternal().interpolation(new long[] {2 * s.get(2), 2 * s.get(3)}, 0, false);
    }

    // ------------------------------------------------------------------------------------------
    // Memory scoping and checks
    // ------------------------------------------------------------------------------------------

    /**
     * Runs one block in its own sub-manager of {@code work}: everything the block allocates is freed
     * when it returns, except its output (attached to {@code work}). The block's input is freed too
     * when it was an intermediate of {@code work} (not the caller's array).
     */
    static NDArray step(NDArray x, NDManager work, UnaryOperator<NDArray> block) {
        try (NDManager sub = work.newSubManager()) {
            x.tempAttach(sub);
            NDArray y = block.apply(x);
            y.attach(work);
            return y;
        }
    }

    /**
     * A chain of {@link #step}s: each block's output feeds the next; an output produced here is
     * freed once the next block has consumed it (the chain's own input is left alone).
     */
    private static final class Flow {
        final NDManager work;
        NDArray x;
        boolean owned;

        Flow(NDArray input, NDManager work) {
            this.work = work;
            this.x = input;
        }

        Flow then(UnaryOperator<NDArray> block) {
            NDArray y = step(x, work, block);
            if (owned && y != x) {
                x.close();
            }
            x = y;
            owned = true;
            return this;
        }
    }

    private NDArray prepareInput(NDArray input, NDManager work) {
        NDArray x = input.toDevice(device, false);
        NDArray typed = x.toType(dtype, false);
        if (typed != input) {
            typed.attach(work);
        }
        if (x != input && x != typed) {
            x.close();
        }
        return typed;
    }

    private static void checkFinite(NDArray result, String what, DataType computeDtype) {
        try (NDArray bad = result.isNaN().logicalOr(result.isInfinite()).any()) {
            if (bad.getBoolean()) {
                throw new VaeException("the VAE " + what + " produced NaN or infinite values"
                        + (computeDtype == DataType.FLOAT16
                                ? " — run the VAE in float32 (the SDXL VAE overflows in float16)"
                                : " from finite input in float32: the VAE's weights or config are broken; run `pixart inspect --deep MODEL`"));
            }
        }
    }

    private static void report(Probe probe, String name, NDArray x) {
        if (probe != null) {
            probe.accept(name, x);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Weight loading
    // ------------------------------------------------------------------------------------------

    /**
     * Reads parameters by diffusers name with the shape the config implies; accepts the older
     * attention names (query/key/value/proj_attn) and their conv-shaped (C, C, 1, 1) weights.
     */
    private static final class Loader {
        private static final Map<String, String> OLD_ATTENTION_NAMES = Map.of(
                "to_q", "query", "to_k", "key", "to_v", "value", "to_out.0", "proj_attn");

        final Checkpoint ckpt;
        final NDManager manager;
        final DataType dtype;
        final VaeConfig config;
        final Set<String> available;
        final Set<String> used = new HashSet<>();

        Loader(Checkpoint ckpt, NDManager manager, DataType dtype, VaeConfig config) {
            this.ckpt = ckpt;
            this.manager = manager;
            this.dtype = dtype;
            this.config = config;
            this.available = ckpt.names();
        }

        NDArray tensor(String name, long... shape) {
            if (!available.contains(name)) {
                throw new SafetensorsException(ckpt.location(), name, "missing from the VAE checkpoint (config "
                        + "block_out_channels " + Arrays.toString(config.blockOutChannels()) + ", layers_per_block "
                        + config.layersPerBlock() + ")");
            }
            ckpt.expectShape(name, shape);
            used.add(name);
            return ckpt.load(name, manager, dtype);
        }

        Conv conv(String p, int out, int in, int k) {
            NDArray w = tensor(p + ".weight", out, in, k, k);
            NDArray b = tensor(p + ".bias", out);
            return new Conv(w, b, k);
        }

        GroupNorm norm(String p, int channels) {
            NDArray g = tensor(p + ".weight", channels).reshape(1, channels, 1, 1);
            NDArray b = tensor(p + ".bias", channels).reshape(1, channels, 1, 1);
            return new GroupNorm(g, b, config.normNumGroups());
        }

        /** A Linear (weight (out, in), bias); old checkpoints: other name and/or (out, in, 1, 1). */
        NDArray[] linear(String p, int out, int in) {
            String name = p;
            if (!available.contains(p + ".weight")) {
                int dot = p.lastIndexOf(".to_");
                String old = dot < 0 ? null : OLD_ATTENTION_NAMES.get(p.substring(dot + 1));
                if (old != null && available.contains(p.substring(0, dot + 1) + old + ".weight")) {
                    name = p.substring(0, dot + 1) + old;
                }
            }
            String wName = name + ".weight";
            NDArray w;
            if (available.contains(wName) && ckpt.shape(wName).length == 4) {
                w = tensor(wName, out, in, 1, 1).reshape(out, in);
            } else {
                w = tensor(wName, out, in);
            }
            return new NDArray[] {w, tensor(name + ".bias", out)};
        }

        /** Extra tensors mean the config does not describe this checkpoint (e.g. wrong layers_per_block). */
        void checkAllUsed() {
            Set<String> extra = new TreeSet<>(available);
            extra.removeAll(used);
            if (!extra.isEmpty()) {
                List<String> first = new ArrayList<>(extra).subList(0, Math.min(5, extra.size()));
                throw new ConfigException(ckpt.location(), extra.size() + " tensors in the VAE checkpoint are not "
                        + "part of the architecture config.json describes, e.g. " + first);
            }
        }
    }
}

package studio.pixart.engine.transformer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.pooling.Pool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import studio.pixart.engine.io.Checkpoint;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.SafetensorsException;
import studio.pixart.engine.nd.Activations;
import studio.pixart.engine.nd.Torch;

/**
 * PixArt's diffusion transformer (diffusers {@code PixArtTransformer2DModel}), read top to bottom:
 *
 * <ol>
 *   <li>patch embedding: a p×p stride-p conv, flattened to N = (H/p)·(W/p) tokens (row-major h, w),
 *       plus a fixed 2-D sin-cos position table;</li>
 *   <li>adaLN-single conditioning: timestep → 256-d sinusoid → MLP ({@code embedded_timestep},
 *       plus size embeddings for PixArt-α 1024) → one Linear to 6·D shared by all blocks;</li>
 *   <li>caption projection: T5 features → MLP → D;</li>
 *   <li>N blocks: modulated self-attention (gated), plain cross-attention to the caption (no norm,
 *       no gate), modulated tanh-GELU feed-forward (gated);</li>
 *   <li>final layer: LayerNorm modulated by (shift, scale) from {@code embedded_timestep}, a Linear to
 *       p·p·out_channels per token, and unpatchify back to (B, out_channels, H, W).</li>
 * </ol>
 *
 * <p>Memory: every forward pass runs in its own sub-manager of the latents' manager, every block in
 * a nested one (only the block output survives it), and attention handles its queries in chunks
 * sized from {@link TransformerOptions#attentionBudgetBytes()}, so a 2K image (16 384 tokens) never
 * materialises a full score matrix. Ops always start from activations, never from weights (a
 * result belongs to the manager of the op's first input); the weights' manager is capped after
 * loading so a violation fails at once instead of leaking. The feed-forward is chunked over
 * tokens with the same budget (its 4·D-wide hidden states are the largest activations).
 */
public final class PixArtTransformer implements AutoCloseable {
    /** Width of the timestep / size sinusoid (diffusers Timesteps(256, flip_sin_to_cos=True, shift=0)). */
    private static final int FREQ_DIM = 256;
    /** Additive bias on masked caption tokens: diffusers uses (1 − mask)·(−10000), not −inf. */
    private static final float MASK_BIAS = -10000.0f;
    /** PixArt-Σ's compression LayerNorm is a default nn.LayerNorm. */
    private static final float KV_NORM_EPS = 1e-5f;

    private final TransformerConfig config;
    private final TransformerOptions options;
    private TransformerOptions.KvCompression kvCompression;
    private int[] kvPoolRatios;
    private final Device device;
    private final DataType dtype;
    private final NDManager weights;
    /** Every Linear by module name ({@code transformer_blocks.0.attn1.to_q}), the LoRA targets. */
    private final Map<String, Linear> linears = new LinkedHashMap<>();
    /** Owns weights swapped in by {@link #replaceLinearWeight} (the loaded weights' manager is capped). */
    private NDManager replaced;
    /** The folder the weights came from (null for random weights): the source to restore from. */
    private Path sourceDir;

    // 1. patch embedding
    private final NDArray patchWeight;
    private final NDArray patchBias;
    // 2. adaLN-single
    private final NDArray sinusoidFreqs;
    private final Mlp timestepEmbedder;
    private final Mlp resolutionEmbedder;   // null unless use_additional_conditions
    private final Mlp aspectRatioEmbedder;  // null unless use_additional_conditions
    private final Linear adalnLinear;
    // 3. caption projection
    private final Mlp captionProjection;
    // 4. blocks
    private final List<Block> blocks;
    // 5. final layer
    private final NDArray finalScaleShift;
    private final Linear projOut;
    // LayerNorm without affine: DJL needs explicit unit gain / zero bias
    private final NDArray normOnes;
    private final NDArray normZeros;

    /**
     * y = x·Wᵀ + b. The weight can be swapped for a LoRA-merged one ({@link #replaceLinearWeight});
     * it is never written in place (it may wrap a read-only file mapping).
     */
    private static final class Linear {
        private NDArray weight;
        private NDArray weightT;
        private final NDArray bias;

        Linear(NDArray weight, NDArray bias) {
            this.weight = weight;
            this.weightT = weight.transpose(); // a view; x.matMul(w^T) lets BLAS read it transposed, no copy
            this.bias = bias;
        }

        NDArray apply(NDArray x) {
            NDArray y = x.matMul(weightT);
            return bias == null ? y : y.add(bias);
        }
    }

    /** Linear → activation → Linear ({@code linear_1}, {@code linear_2}). */
    private record Mlp(Linear first, Linear second, boolean gelu) {
        NDArray apply(NDArray x) {
            NDArray h = first.apply(x);
            return second.apply(gelu ? Activations.geluTanh(h) : silu(h));
        }
    }

    private record Attention(Linear q, Linear k, Linear v, Linear out) {}

    /** A trained KV-compression: depthwise stride-r conv + LayerNorm on the keys and values. */
    private record KvConv(NDArray weight, NDArray bias, NDArray normWeight, NDArray normBias, int ratio) {}

    /**
     * One block's weights. Layers whose checkpoint carries trained compression weights always use
     * them (the model was trained that way); other layers are average-pooled when the options
     * choose them ({@link #kvPoolRatios}{@code [index] > 0}).
     */
    private record Block(int index, NDArray scaleShiftTable, Attention selfAttn, Attention crossAttn,
                         Linear ffIn, Linear ffOut, KvConv kvConv) {}

    /** Compression applies when the checkpoint brings a conv or the current setting chose this layer. */
    private boolean compresses(Block blk) {
        return blk.kvConv() != null || kvPoolRatios[blk.index()] > 0;
    }

    /** The KV compression in force (it can change between forward passes, e.g. for a 4K refinement). */
    public TransformerOptions.KvCompression kvCompression() {
        return kvCompression;
    }

    /**
     * Switches average-pool KV compression for the following forward passes (weights untouched;
     * layers with trained compression weights always use them). Call on the thread that runs forward.
     */
    public void setKvCompression(TransformerOptions.KvCompression kv) {
        TransformerOptions.KvCompression c = kv == null ? TransformerOptions.KvCompression.OFF : kv;
        Set<Integer> pooled = c.layersFor(config.numLayers());
        int[] ratios = new int[config.numLayers()];
        for (int i = 0; i < ratios.length; i++) {
            ratios[i] = pooled.contains(i) ? c.ratio() : 0;
        }
        this.kvPoolRatios = ratios;
        this.kvCompression = c;
    }

    /** Where parameters come from: a checkpoint on disk or seeded noise. */
    private interface WeightSource {
        NDArray get(String name, long... expectedShape);

        boolean has(String name);

        long[] shape(String name);
    }

    // ------------------------------------------------------------------------------------------
    // Construction
    // ------------------------------------------------------------------------------------------

    /**
     * Loads a diffusers {@code transformer/} folder (config.json + diffusion_pytorch_model*.safetensors,
     * sharded or not, float32/float16/bfloat16 on disk). Every tensor's shape is checked against the
     * config. {@code dtype} is the compute type: FLOAT32 (CPU) or FLOAT16 (GPU).
     */
    public static PixArtTransformer load(Path transformerDir, Device device, DataType dtype, TransformerOptions options) {
        TransformerConfig cfg = TransformerConfig.read(transformerDir.resolve("config.json"));
        try (Checkpoint ckpt = Checkpoint.open(transformerDir)) {
            String extraBlock = "transformer_blocks." + cfg.numLayers() + ".scale_shift_table";
            if (ckpt.contains(extraBlock)) {
                throw new SafetensorsException(ckpt.location(), extraBlock,
                        "checkpoint has more transformer blocks than num_layers = " + cfg.numLayers() + " in config.json");
            }
            NDManager m = Torch.engine().newBaseManager(device);
            WeightSource src = new WeightSource() {
                @Override
                public NDArray get(String name, long... expectedShape) {
                    ckpt.expectShape(name, expectedShape);
                    return ckpt.load(name, m, dtype);
                }

                @Override
                public boolean has(String name) {
                    return ckpt.contains(name);
                }

                @Override
                public long[] shape(String name) {
                    return ckpt.shape(name);
                }
            };
            PixArtTransformer t = build(cfg, options, device, dtype, m, src);
            t.sourceDir = transformerDir;
            return t;
        }
    }

    /**
     * A model with seeded random weights at any configuration (e.g. {@link TransformerConfig#pixArtXl}),
     * for benchmarks: matrices randn/sqrt(fan_in), biases and modulation tables 0.2·randn, like the
     * golden tiny models, so activations stay finite through 28 blocks.
     */
    public static PixArtTransformer random(TransformerConfig cfg, long seed, Device device, DataType dtype,
                                           TransformerOptions options) {
        Torch.seed(seed);
        NDManager m = Torch.engine().newBaseManager(device);
        NDManager cpu = Torch.newManager();
        WeightSource src = new WeightSource() {
            @Override
            public NDArray get(String name, long... shape) {
                long fanIn = 1;
                for (int i = 1; i < shape.length; i++) {
                    fanIn *= shape[i];
                }
                float scale = shape.length >= 2 ? (float) (1 / Math.sqrt(fanIn)) : 0.2f;
                // draw on the CPU generator (process-global, reproducible), then move
                try (NDManager tmp = cpu.newSubManager()) {
                    NDArray r = tmp.randomNormal(new Shape(shape)).mul(scale).toDevice(device, false).toType(dtype, false);
                    r.attach(m);
                    return r;
                }
            }

            @Override
            public boolean has(String name) {
                return false;
            }

            @Override
            public long[] shape(String name) {
                throw new IllegalArgumentException(name);
            }
        };
        try {
            return build(cfg, options, device, dtype, m, src);
        } finally {
            cpu.close();
        }
    }

    public static PixArtTransformer random(TransformerConfig cfg, long seed, Device device, DataType dtype) {
        return random(cfg, seed, device, dtype, TransformerOptions.defaults());
    }

    private static PixArtTransformer build(TransformerConfig cfg, TransformerOptions options, Device device,
                                           DataType dtype, NDManager m, WeightSource src) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            m.close();
            throw new IllegalArgumentException("compute dtype must be FLOAT32 or FLOAT16, not " + dtype);
        }
        try {
            PixArtTransformer t = new PixArtTransformer(cfg, options == null ? TransformerOptions.defaults() : options,
                    device, dtype, m, src);
            m.cap();
            return t;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private PixArtTransformer(TransformerConfig cfg, TransformerOptions options, Device device, DataType dtype,
                              NDManager m, WeightSource src) {
        this.config = cfg;
        this.options = options;
        this.device = device;
        this.dtype = dtype;
        this.weights = m;
        long d = cfg.innerDim();
        int p = cfg.patchSize();

        patchWeight = src.get("pos_embed.proj.weight", d, cfg.inChannels(), p, p);
        patchBias = src.get("pos_embed.proj.bias", d);

        // f_k = exp(−ln(10000)·k/128) in float32, exactly as torch computes it
        sinusoidFreqs = m.arange(0f, FREQ_DIM / 2f, 1f, DataType.FLOAT32)
                .mul((float) -Math.log(10000)).div((float) (FREQ_DIM / 2)).exp().reshape(1, FREQ_DIM / 2);
        timestepEmbedder = mlp(src, "adaln_single.emb.timestep_embedder", FREQ_DIM, d, d, false);
        if (cfg.useAdditionalConditions()) {
            resolutionEmbedder = mlp(src, "adaln_single.emb.resolution_embedder", FREQ_DIM, d / 3, d / 3, false);
            aspectRatioEmbedder = mlp(src, "adaln_single.emb.aspect_ratio_embedder", FREQ_DIM, d / 3, d / 3, false);
        } else {
            resolutionEmbedder = null;
            aspectRatioEmbedder = null;
        }
        adalnLinear = linear(src, "adaln_single.linear", d, 6 * d, true);
        captionProjection = mlp(src, "caption_projection", cfg.captionChannels(), d, d, true);

        setKvCompression(options.kvCompression());
        List<Block> list = new ArrayList<>();
        for (int i = 0; i < cfg.numLayers(); i++) {
            String b = "transformer_blocks." + i + ".";
            KvConv kv = kvConv(src, b + "attn1.", d);
            list.add(new Block(i,
                    src.get(b + "scale_shift_table", 6, d),
                    attention(src, b + "attn1.", d, d, cfg.attentionBias()),
                    attention(src, b + "attn2.", d, cfg.crossAttentionDim(), cfg.attentionBias()),
                    linear(src, b + "ff.net.0.proj", d, 4 * d, true),
                    linear(src, b + "ff.net.2", 4 * d, d, true),
                    kv));
        }
        blocks = List.copyOf(list);
        finalScaleShift = src.get("scale_shift_table", 2, d);
        projOut = linear(src, "proj_out", d, (long) p * p * cfg.outChannels(), true);
        normOnes = m.ones(new Shape(d), dtype);
        normZeros = m.zeros(new Shape(d), dtype);
    }

    private Linear linear(WeightSource src, String name, long in, long out, boolean bias) {
        Linear l = new Linear(src.get(name + ".weight", out, in), bias ? src.get(name + ".bias", out) : null);
        linears.put(name, l);
        return l;
    }

    private Mlp mlp(WeightSource src, String prefix, long in, long hidden, long out, boolean gelu) {
        return new Mlp(linear(src, prefix + ".linear_1", in, hidden, true), linear(src, prefix + ".linear_2", hidden, out, true), gelu);
    }

    private Attention attention(WeightSource src, String prefix, long dim, long kvDim, boolean bias) {
        return new Attention(linear(src, prefix + "to_q", dim, dim, bias), linear(src, prefix + "to_k", kvDim, dim, bias),
                linear(src, prefix + "to_v", kvDim, dim, bias), linear(src, prefix + "to_out.0", dim, dim, true));
    }

    /** Trained compression weights (PixArt-Σ's depthwise conv + LayerNorm), if the checkpoint has them. */
    private KvConv kvConv(WeightSource src, String prefix, long d) {
        String w = prefix + "kv_compression.weight";
        if (!src.has(w)) {
            return null;
        }
        long[] s = src.shape(w);
        if (s.length != 4 || s[0] != d || s[1] != 1 || s[2] != s[3] || s[2] < 1) {
            throw new ConfigException("transformer checkpoint: tensor '" + w + "' has shape " + Arrays.toString(s)
                    + " but a depthwise r×r compression conv needs [" + d + ", 1, r, r]");
        }
        int r = (int) s[2];
        NDArray weight = src.get(w, d, 1, r, r);
        NDArray bias = src.has(prefix + "kv_compression.bias") ? src.get(prefix + "kv_compression.bias", d)
                : weights.zeros(new Shape(d), dtype);
        return new KvConv(weight, bias, src.get(prefix + "norm.weight", d), src.get(prefix + "norm.bias", d), r);
    }

    /** The weights' manager (capped), for tests that check nothing can be added to it. */
    NDManager weightManager() {
        return weights;
    }

    public TransformerConfig config() {
        return config;
    }

    public TransformerOptions options() {
        return options;
    }

    // ------------------------------------------------------------------------------------------
    // Forward
    // ------------------------------------------------------------------------------------------

    /**
     * One denoiser evaluation.
     *
     * @param latents (B, in_channels, H, W), H and W multiples of patch_size
     * @param timestep (B) int64 or float32 (a single value is broadcast)
     * @param textEmbeds (B, L, caption_channels)
     * @param textMask (B, L) 0/1, or null for "attend to every token"
     * @param resolution (B, 2) (height, width) in pixels; required iff use_additional_conditions
     * @param aspectRatio (B, 1) height / width; required iff use_additional_conditions
     * @return (B, out_channels, H, W) float32 — all channels (noise prediction + learned sigma) —
     *     attached to the latents' manager
     */
    public NDArray forward(NDArray latents, NDArray timestep, NDArray textEmbeds, NDArray textMask,
                           NDArray resolution, NDArray aspectRatio) {
        return run(latents, timestep, textEmbeds, textMask, resolution, aspectRatio, null);
    }

    /** As {@link #forward}, also recording the reference's intermediates (names as in the goldens). */
    Map<String, float[]> forwardWithTrace(NDArray latents, NDArray timestep, NDArray textEmbeds, NDArray textMask,
                                          NDArray resolution, NDArray aspectRatio) {
        Map<String, float[]> trace = new LinkedHashMap<>();
        NDArray out = run(latents, timestep, textEmbeds, textMask, resolution, aspectRatio, trace);
        trace.put("sample", out.toFloatArray());
        out.close();
        return trace;
    }

    private NDArray run(NDArray latents, NDArray timestep, NDArray textEmbeds, NDArray textMask,
                        NDArray resolution, NDArray aspectRatio, Map<String, float[]> trace) {
        int p = config.patchSize();
        long d = config.innerDim();
        Shape ls = latents.getShape();
        check(ls.dimension() == 4 && ls.get(1) == config.inChannels(),
                "latents must be (B, " + config.inChannels() + ", H, W), got " + ls);
        check(ls.get(2) % p == 0 && ls.get(3) % p == 0,
                "latent height and width must be multiples of patch_size " + p + ", got " + ls);
        long batch = ls.get(0);
        int gh = (int) (ls.get(2) / p);
        int gw = (int) (ls.get(3) / p);
        long tokens = (long) gh * gw;
        check(timestep.size() == batch || timestep.size() == 1,
                "timestep must hold B = " + batch + " values (or one), got " + timestep.getShape());
        Shape ts = textEmbeds.getShape();
        check(ts.dimension() == 3 && ts.get(0) == batch && ts.get(2) == config.captionChannels(),
                "text embeddings must be (" + batch + ", L, " + config.captionChannels() + "), got " + ts);
        check(textMask == null || textMask.getShape().equals(new Shape(batch, ts.get(1))),
                "text mask must be (" + batch + ", " + ts.get(1) + "), got " + (textMask == null ? null : textMask.getShape()));
        if (config.useAdditionalConditions()) {
            check(resolution != null && aspectRatio != null,
                    "this transformer uses size conditioning (use_additional_conditions): pass resolution (B,2) and aspect ratio (B,1)");
            check(resolution.getShape().equals(new Shape(batch, 2)), "resolution must be (" + batch + ", 2), got " + resolution.getShape());
            check(aspectRatio.getShape().equals(new Shape(batch, 1)), "aspect ratio must be (" + batch + ", 1), got " + aspectRatio.getShape());
        }

        NDManager caller = latents.getManager();
        try (NDManager fwd = caller.newSubManager(device)) {
            NDArray x = input(latents, fwd, dtype);

            // 1. patch embedding + sin-cos positions
            NDArray conv = Conv2d.conv2d(x, patchWeight, patchBias, new Shape(p, p)).singletonOrThrow();
            record(trace, "patch_conv", conv);
            NDArray pos = fwd.create(sinCosTable(gh, gw, config.baseSize(), config.interpolationScale(), (int) d),
                    new Shape(tokens, d)).toType(dtype, false);
            record(trace, "pos_embed_table", pos);
            NDArray h = conv.reshape(batch, d, tokens).transpose(0, 2, 1).add(pos);
            record(trace, "patch_embed_plus_pos", h);

            // 2. adaLN-single: timestep (and size) embeddings → embedded_timestep → 6·D modulation
            NDArray t = input(timestep, fwd, DataType.FLOAT32).reshape(-1);
            if (t.size() == 1 && batch > 1) {
                t = t.repeat(0, batch);
            }
            NDArray tSin = sinusoid(t);
            record(trace, "timestep_sinusoidal", tSin);
            NDArray embedded = timestepEmbedder.apply(tSin.toType(dtype, false));
            record(trace, "timestep_mlp", embedded);
            if (config.useAdditionalConditions()) {
                // (h, w) go through the same sinusoid as two separate values: [emb(h) | emb(w)] per row
                NDArray res = resolutionEmbedder.apply(sinusoid(input(resolution, fwd, DataType.FLOAT32).reshape(-1)).toType(dtype, false));
                record(trace, "resolution_mlp", res);
                NDArray ar = aspectRatioEmbedder.apply(sinusoid(input(aspectRatio, fwd, DataType.FLOAT32).reshape(-1)).toType(dtype, false));
                record(trace, "aspect_ratio_mlp", ar);
                embedded = embedded.add(res.reshape(batch, 2 * d / 3).concat(ar, 1));
            }
            record(trace, "adaln_embedded_timestep", embedded);
            NDArray t6 = adalnLinear.apply(silu(embedded));
            record(trace, "adaln_timestep_6d", t6);

            // 3. caption projection and the cross-attention key bias
            NDArray text = captionProjection.apply(input(textEmbeds, fwd, dtype));
            record(trace, "caption_projection", text);
            NDArray textBias = null;
            if (textMask != null) {
                textBias = input(textMask, fwd, dtype).neg().add(1).mul(MASK_BIAS).reshape(batch, 1, 1, ts.get(1));
            }

            // 4. blocks, each in its own scope
            for (int i = 0; i < blocks.size(); i++) {
                h = block(blocks.get(i), h, t6, text, textBias, gh, gw, fwd);
                record(trace, "block_" + i + "_out", h);
            }

            // 5. final layer: shift first, then scale (the reverse of the blocks' table order)
            NDArray shiftScale = embedded.reshape(batch, 1, d).add(finalScaleShift);
            NDList ss = shiftScale.split(2, 1);
            h = layerNorm(h).mul(ss.get(1).add(1)).add(ss.get(0));
            h = projOut.apply(h);
            record(trace, "proj_out", h);

            // unpatchify: (B, h, w, p, q, C) → (B, C, h, p, w, q) → (B, C, H, W)
            long c = config.outChannels();
            NDArray out = h.reshape(batch, gh, gw, p, p, c).transpose(0, 5, 1, 3, 2, 4)
                    .reshape(batch, c, (long) gh * p, (long) gw * p)
                    .toType(DataType.FLOAT32, false).toDevice(latents.getDevice(), false);
            out.attach(caller);
            return out;
        }
    }

    /**
     * One adaLN-single block. Runs in a scope nested in the forward pass: the incoming hidden states
     * and every intermediate are freed at its end, only the output moves up.
     */
    private NDArray block(Block blk, NDArray x, NDArray t6, NDArray text, NDArray textBias, int gh, int gw,
                          NDManager parent) {
        long batch = x.getShape().get(0);
        long d = config.innerDim();
        try (NDManager scope = parent.newSubManager()) {
            x.attach(scope);
            // the shared conditioning must stay alive for the next blocks: borrow it for this scope
            t6.tempAttach(scope);
            text.tempAttach(scope);
            if (textBias != null) {
                textBias.tempAttach(scope);
            }
            NDList mod = t6.reshape(batch, 6, d).add(blk.scaleShiftTable()).split(6, 1);
            NDArray shiftMsa = mod.get(0);
            NDArray scaleMsa = mod.get(1);
            NDArray gateMsa = mod.get(2);
            NDArray shiftMlp = mod.get(3);
            NDArray scaleMlp = mod.get(4);
            NDArray gateMlp = mod.get(5);

            // self-attention on modulated, normalised tokens, gated
            NDArray xn = layerNorm(x).mul(scaleMsa.add(1)).add(shiftMsa);
            x = x.add(attention(blk.selfAttn(), xn, xn, null, blk, gh, gw).mul(gateMsa));

            // cross-attention to the caption: no norm, no gate
            x = x.add(attention(blk.crossAttn(), x, text, textBias, null, gh, gw));

            // feed-forward (tanh-GELU) on modulated, normalised tokens, gated
            NDArray xf = layerNorm(x).mul(scaleMlp.add(1)).add(shiftMlp);
            x = x.add(feedForward(blk, xf).mul(gateMlp));

            x.attach(parent);
            return x;
        }
    }

    /**
     * Multi-head attention of {@code queries} over {@code context}; {@code bias} (B, 1, 1, M) is added
     * to the scores. {@code selfBlock} is non-null for self-attention, where the keys and values may be
     * compressed over the (gh, gw) token grid.
     */
    private NDArray attention(Attention attn, NDArray queries, NDArray context, NDArray bias, Block selfBlock,
                              int gh, int gw) {
        long batch = queries.getShape().get(0);
        long n = queries.getShape().get(1);
        int heads = config.numHeads();
        int hd = config.headDim();
        NDArray q = attn.q().apply(queries).reshape(batch, n, heads, hd).transpose(0, 2, 1, 3);
        NDArray k = attn.k().apply(context);
        NDArray v = attn.v().apply(context);
        if (selfBlock != null && compresses(selfBlock)) {
            k = compressKv(k, gh, gw, selfBlock);
            v = compressKv(v, gh, gw, selfBlock);
        }
        long m = k.getShape().get(1);
        NDArray kT = k.reshape(batch, m, heads, hd).transpose(0, 2, 3, 1);   // (B, heads, hd, M)
        NDArray vh = v.reshape(batch, m, heads, hd).transpose(0, 2, 1, 3);   // (B, heads, M, hd)
        NDArray o = chunkedAttention(q, kT, vh, bias, (float) (1 / Math.sqrt(hd)));
        return attn.out().apply(o.transpose(0, 2, 1, 3).reshape(batch, n, (long) heads * hd));
    }

    /**
     * softmax(q·kᵀ·scale + bias)·v. On a GPU: a block of query rows of every head at a time, the
     * block size keeping one float32 score matrix (B·heads·rows·M) within the options' budget. On the
     * CPU: one head at a time, in blocks of query rows whose scores fit {@link #CPU_SCORE_CHUNK_BYTES}
     * (and the budget), so a block's scores are still in the caches when the softmax and the second
     * product read them, and the allocator re-uses the same few megabytes instead of mapping (and
     * zeroing) fresh pages for every block. Each block lives in a sub-manager closed before the next.
     */
    private NDArray chunkedAttention(NDArray q, NDArray kT, NDArray v, NDArray bias, float scale) {
        if (device.isGpu()) {
            return attentionRowBlocks(q, kT, v, bias, scale);
        }
        NDManager scope = q.getManager();
        Shape qs = q.getShape();
        long batch = qs.get(0);
        long heads = qs.get(1);
        long n = qs.get(2);
        long m = kT.getShape().get(3);
        long rowBytes = m * 4L;
        long rows = Math.max(1, Math.min(n, Math.min(CPU_SCORE_CHUNK_BYTES, options.attentionBudgetBytes()) / rowBytes));
        // Scaling the (n × head_dim) queries instead of the (n × m) scores saves a pass over every score.
        NDArray qScaled = q.mul(scale);
        List<NDArray> perBatch = new ArrayList<>();
        for (long b = 0; b < batch; b++) {
            NDArray biasB = bias == null ? null : bias.get(b);               // (1, 1, M)
            List<NDArray> perHead = new ArrayList<>();
            for (long h = 0; h < heads; h++) {
                NDArray kh = kT.get(b, h);                                   // (head_dim, M)
                NDArray vh = v.get(b, h);                                    // (M, head_dim)
                List<NDArray> parts = new ArrayList<>();
                for (long start = 0; start < n; start += rows) {
                    long end = Math.min(n, start + rows);
                    try (NDManager chunk = scope.newSubManager()) {
                        NDArray qc = qScaled.get(chunk, new NDIndex("{}, {}, {}:{}", b, h, start, end));
                        NDArray scores = qc.matMul(kh);
                        if (biasB != null) {
                            scores = scores.addi(biasB.get(0));
                        }
                        NDArray part = softmaxTimes(scores, vh);
                        part.attach(scope);
                        parts.add(part);
                    }
                }
                perHead.add(parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 0));
            }
            perBatch.add(NDArrays.stack(new NDList(perHead), 0));
        }
        return NDArrays.stack(new NDList(perBatch), 0);
    }

    /** softmax over the keys (in float32 when computing in float16) times the values. */
    private NDArray softmaxTimes(NDArray scores, NDArray v) {
        NDArray probs = dtype == DataType.FLOAT16
                ? scores.toType(DataType.FLOAT32, false).softmax(-1).toType(DataType.FLOAT16, false)
                : scores.softmax(-1);
        return probs.matMul(v);
    }

    /** One CPU block of attention scores: 8 MB stays in the last-level cache of an ordinary CPU. */
    static final long CPU_SCORE_CHUNK_BYTES = 8L << 20;
    /** One CPU block of the feed-forward's 4·D-wide hidden states. */
    static final long CPU_FF_CHUNK_BYTES = 16L << 20;

    /** The GPU's blocking: query rows of every head at once, the score block within the budget. */
    private NDArray attentionRowBlocks(NDArray q, NDArray kT, NDArray v, NDArray bias, float scale) {
        NDManager scope = q.getManager();
        Shape qs = q.getShape();
        long n = qs.get(2);
        long rowBytes = qs.get(0) * qs.get(1) * kT.getShape().get(3) * 4L;
        long rows = Math.max(1, Math.min(n, options.attentionBudgetBytes() / rowBytes));
        List<NDArray> parts = new ArrayList<>();
        for (long start = 0; start < n; start += rows) {
            long end = Math.min(n, start + rows);
            try (NDManager chunk = scope.newSubManager()) {
                // the slice is created in the chunk's manager, so everything derived from it is too
                NDArray qc = q.get(chunk, new NDIndex(":, :, {}:{}", start, end));
                NDArray scores = qc.matMul(kT).mul(scale);
                if (bias != null) {
                    scores = scores.add(bias);
                }
                NDArray part = softmaxTimes(scores, v);
                part.attach(scope);
                parts.add(part);
            }
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 2);
    }

    /**
     * Linear(D→4D) → tanh-GELU → Linear(4D→D), a block of tokens at a time (the feed-forward is per
     * token, so chunks are exact): the 4D-wide hidden activations and GELU's temporaries of one
     * chunk stay within the attention budget and are freed before the next chunk.
     */
    private NDArray feedForward(Block blk, NDArray x) {
        NDManager scope = x.getManager();
        Shape xs = x.getShape();
        long n = xs.get(1);
        long rowBytes = xs.get(0) * 4L * config.innerDim() * 4L;
        // On the CPU the hidden block stays small (see CPU_SCORE_CHUNK_BYTES): cached, and re-used by the allocator.
        long budget = device.isGpu() ? options.attentionBudgetBytes() : Math.min(options.attentionBudgetBytes(), CPU_FF_CHUNK_BYTES);
        long rows = Math.max(1, Math.min(n, budget / rowBytes));
        List<NDArray> parts = new ArrayList<>();
        for (long start = 0; start < n; start += rows) {
            try (NDManager chunk = scope.newSubManager()) {
                NDArray xc = x.get(chunk, new NDIndex(":, {}:{}, :", start, Math.min(n, start + rows)));
                NDArray part = blk.ffOut().apply(Activations.geluTanh(blk.ffIn().apply(xc)));
                part.attach(scope);
                parts.add(part);
            }
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 1);
    }

    /**
     * KV token compression over the token grid: (B, N, D) → (B, D, gh, gw) → r×r pooling → (B, N', D).
     * Average pooling uses ceil mode, so odd grids keep their last row/column: the edge windows
     * average just the tokens they cover (ceil(gh/r)·ceil(gw/r) keys). A trained depthwise conv
     * follows PixArt-Σ's reference instead: stride r, no padding (an odd last row/column is
     * dropped), then its LayerNorm.
     */
    static NDArray poolTokens(NDArray tokens, int gh, int gw, int ratio) {
        long batch = tokens.getShape().get(0);
        long d = tokens.getShape().get(2);
        NDArray grid = tokens.reshape(batch, gh, gw, d).transpose(0, 3, 1, 2);
        NDArray pooled = Pool.avgPool2d(grid, new Shape(ratio, ratio), new Shape(ratio, ratio), new Shape(0, 0), true, false);
        return pooled.reshape(batch, d, -1).transpose(0, 2, 1);
    }

    private NDArray compressKv(NDArray tokens, int gh, int gw, Block blk) {
        KvConv conv = blk.kvConv();
        if (conv == null) {
            return poolTokens(tokens, gh, gw, kvPoolRatios[blk.index()]);
        }
        long batch = tokens.getShape().get(0);
        long d = tokens.getShape().get(2);
        int r = conv.ratio();
        NDArray grid = tokens.reshape(batch, gh, gw, d).transpose(0, 3, 1, 2);
        NDArray c = Conv2d.conv2d(grid, conv.weight(), conv.bias(), new Shape(r, r), new Shape(0, 0), new Shape(1, 1), (int) d)
                .singletonOrThrow();
        NDArray flat = c.reshape(batch, d, -1).transpose(0, 2, 1);
        return LayerNorm.layerNorm(flat, new Shape(d), conv.normWeight(), conv.normBias(), KV_NORM_EPS).singletonOrThrow();
    }

    // ------------------------------------------------------------------------------------------
    // Pieces
    // ------------------------------------------------------------------------------------------

    /**
     * 256-d sinusoid [cos(v·f_k) | sin(v·f_k)] of each value, in float32 (the product v·f_k is
     * rounded to float32 before sin/cos, as torch does).
     */
    private NDArray sinusoid(NDArray values) {
        NDArray args = values.reshape(-1, 1).mul(sinusoidFreqs);
        return args.cos().concat(args.sin(), 1);
    }

    /**
     * The 2-D sin-cos position table (N, D) for a gh × gw token grid, row-major over (h, w). Each
     * axis is normalised to the base grid on its own: pos = i / (n / base) / interpolation_scale in
     * float32 (non-square grids are stretched). The first D/2 channels encode the width coordinate,
     * the last D/2 the height; each half is [sin(pos·ω_k) | cos(pos·ω_k)], ω_k = 10000^(−k/(D/4)),
     * evaluated in double and rounded to float.
     */
    static float[] sinCosTable(int gh, int gw, int baseSize, double interpolationScale, int dim) {
        float[] posH = axisPositions(gh, baseSize, interpolationScale);
        float[] posW = axisPositions(gw, baseSize, interpolationScale);
        int quarter = dim / 4;
        double[] omega = new double[quarter];
        for (int k = 0; k < quarter; k++) {
            omega[k] = 1.0 / Math.pow(10000.0, k / (double) quarter);
        }
        float[] table = new float[gh * gw * dim];
        for (int y = 0; y < gh; y++) {
            for (int x = 0; x < gw; x++) {
                int row = (y * gw + x) * dim;
                for (int k = 0; k < quarter; k++) {
                    double aw = posW[x] * omega[k];
                    double ah = posH[y] * omega[k];
                    table[row + k] = (float) Math.sin(aw);
                    table[row + quarter + k] = (float) Math.cos(aw);
                    table[row + 2 * quarter + k] = (float) Math.sin(ah);
                    table[row + 3 * quarter + k] = (float) Math.cos(ah);
                }
            }
        }
        return table;
    }

    private static float[] axisPositions(int n, int baseSize, double interpolationScale) {
        float stretch = (float) ((double) n / baseSize);
        float interp = (float) interpolationScale;
        float[] pos = new float[n];
        for (int i = 0; i < n; i++) {
            pos[i] = (float) i / stretch / interp;
        }
        return pos;
    }

    private NDArray layerNorm(NDArray x) {
        return LayerNorm.layerNorm(x, new Shape(config.innerDim()), normOnes, normZeros, (float) config.normEps())
                .singletonOrThrow();
    }

    private static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /** A private copy of a caller's array in {@code scope}, on the model's device and in {@code type}. */
    private NDArray input(NDArray a, NDManager scope, DataType type) {
        NDArray c = a.toDevice(device, true);
        c.attach(scope);
        return c.getDataType() == type ? c : c.toType(type, false);
    }

    private static void record(Map<String, float[]> trace, String name, NDArray a) {
        if (trace != null) {
            trace.put(name, a.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("PixArtTransformer.forward: " + message);
        }
    }

    // ---- LoRA support: Linear weights by module name ------------------------------------------

    /** The Linear modules' weight shapes [out, in] by module name, in model order. */
    public Map<String, long[]> linearShapes() {
        Map<String, long[]> out = new LinkedHashMap<>();
        linears.forEach((k, v) -> out.put(k, v.weight.getShape().getShape()));
        return out;
    }

    /** The current weight [out, in] of a Linear module (owned by the transformer; do not close). */
    public NDArray linearWeight(String module) {
        Linear l = linears.get(module);
        if (l == null) {
            throw new IllegalArgumentException("the transformer has no Linear module '" + module + "'");
        }
        return l.weight;
    }

    /**
     * Swaps a Linear's weight for {@code weight} (same shape; converted to the compute dtype and
     * device; the transformer takes ownership of the result, which may be {@code weight} itself). The previous weight is freed, unless it is still
     * the loaded one in the capped manager, in which case closing it releases its memory (or its
     * file mapping). Call on the thread that runs forward.
     */
    public void replaceLinearWeight(String module, NDArray weight) {
        Linear l = linears.get(module);
        if (l == null) {
            throw new IllegalArgumentException("the transformer has no Linear module '" + module + "'");
        }
        if (!weight.getShape().equals(l.weight.getShape())) {
            throw new IllegalArgumentException(module + ": new weight " + weight.getShape() + " != " + l.weight.getShape());
        }
        if (replaced == null) {
            replaced = Torch.engine().newBaseManager(device);
        }
        NDArray w = weight.toDevice(device, false).toType(dtype, false);
        w.attach(replaced); // takes ownership (of weight itself when it is already on device and dtype)
        NDArray old = l.weight;
        NDArray oldT = l.weightT;
        l.weight = w;
        l.weightT = w.transpose();
        oldT.close();
        old.close();
    }

    /** Loads the given modules' weights again from the checkpoint folder, undoing any replacement exactly. */
    public void restoreLinearWeights(java.util.Collection<String> modules) {
        if (modules.isEmpty()) {
            return;
        }
        if (sourceDir == null) {
            throw new IllegalStateException("random-weight transformer: there is no file to restore weights from");
        }
        try (Checkpoint ckpt = Checkpoint.open(sourceDir); NDManager tmp = Torch.engine().newBaseManager(device)) {
            for (String module : modules) {
                NDArray w = ckpt.load(module + ".weight", tmp, dtype);
                replaceLinearWeight(module, w);
            }
        }
    }

    /** True when the weights came from a folder, so {@link #restoreLinearWeights} works. */
    public boolean canRestoreWeights() {
        return sourceDir != null;
    }

    @Override
    public void close() {
        if (replaced != null) {
            replaced.close();
        }
        weights.close();
    }
}

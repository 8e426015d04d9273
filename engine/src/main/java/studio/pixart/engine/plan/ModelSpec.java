package studio.pixart.engine.plan;

import java.util.Map;
import studio.pixart.engine.io.Checkpoint;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.text.T5Config;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.vae.VaeConfig;

/**
 * The sizes a plan needs from a model, read from its configs and the safetensors headers only
 * (no weight is touched): each component's configuration, parameter count and the dtype most of
 * its weights are stored in.
 *
 * @param transformerFileDtype null when the weights are built in memory (the benchmark)
 * @param t5 null when the plan has no text encoder (the benchmark's transformer alone)
 * @param vae null when the plan has no VAE
 */
public record ModelSpec(String label, boolean alpha,
                        TransformerConfig transformer, long transformerParams, TensorDType transformerFileDtype,
                        T5Config t5, long t5Params, TensorDType t5FileDtype,
                        VaeConfig vae, long vaeParams, TensorDType vaeFileDtype) {

    public static ModelSpec of(PipelineFolder folder) {
        TransformerConfig tc = TransformerConfig.read(folder.component("transformer").resolve("config.json"));
        T5Config t5 = T5Config.load(folder.component("text_encoder"));
        VaeConfig vc = VaeConfig.load(folder.component("vae"));
        long[] tr = new long[1];
        long[] te = new long[1];
        long[] va = new long[1];
        TensorDType trd = counts(folder, "transformer", tr);
        TensorDType ted = counts(folder, "text_encoder", te);
        TensorDType vad = counts(folder, "vae", va);
        return new ModelSpec(folder.label(), folder.variant() == PipelineFolder.Variant.ALPHA,
                tc, tr[0], trd, t5, te[0], ted, vc, va[0], vad);
    }

    /**
     * The transformer alone, its weights built in memory (for {@code pixart bench}): no file, so
     * {@code transformerFileDtype} is null and the weights count as resident, never as mapped.
     */
    public static ModelSpec transformerOnly(TransformerConfig c) {
        return new ModelSpec("PixArt transformer " + c.numLayers() + "×" + c.innerDim() + " (random weights)", false, c,
                transformerParameters(c), null, null, 0, null, null, 0, null);
    }

    /** This spec with a VAE of {@code params} parameters in {@code dtype} (the benchmark's VAE previews). */
    public ModelSpec withVae(VaeConfig c, long params, TensorDType dtype) {
        return new ModelSpec(label, alpha, transformer, transformerParams, transformerFileDtype, t5, t5Params, t5FileDtype,
                c, params, dtype);
    }

    /** Parameters of T5's feed-forward output projections, which stay float32 when T5 computes in float16. */
    public long t5WoParams() {
        return t5 == null ? 0 : (long) t5.numLayers() * t5.dFf() * t5.dModel();
    }

    /** Parameters of one T5 block (what the per-block mode holds converted at a time). */
    public long t5BlockParams() {
        if (t5 == null) {
            return 0;
        }
        long d = t5.dModel();
        long inner = t5.innerDim();
        return 4 * inner * d + 3L * t5.dFf() * d + 2 * d;
    }

    public int vaeScaleFactor() {
        return vae == null ? 8 : vae.scaleFactor();
    }

    /**
     * Parameters of a PixArt transformer of configuration {@code c}, counted from the shapes the
     * engine loads (patch embedding, adaLN-single, caption projection, blocks, final layer).
     */
    public static long transformerParameters(TransformerConfig c) {
        long d = c.innerDim();
        long p2 = (long) c.patchSize() * c.patchSize();
        long n = d * c.inChannels() * p2 + d;                          // patch embedding
        n += 256 * d + d + d * d + d;                                   // timestep MLP
        if (c.useAdditionalConditions()) {
            long t = d / 3;
            n += 2 * (256 * t + t + t * t + t);                         // resolution + aspect MLPs
        }
        n += d * 6 * d + 6 * d;                                         // adaLN-single linear
        n += (long) c.captionChannels() * d + d + d * d + d;            // caption projection
        long attn = 4 * (d * d + d);
        long block = 6 * d + 2 * attn + (d * 4 * d + 4 * d) + (4 * d * d + d);
        n += c.numLayers() * block;
        n += 2 * d + d * p2 * c.outChannels() + p2 * c.outChannels();   // final layer
        return n;
    }

    private static TensorDType counts(PipelineFolder folder, String component, long[] total) {
        try (Checkpoint ck = Checkpoint.open(folder.component(component))) {
            Map<TensorDType, Long> by = ck.parameterCountByDtype();
            TensorDType most = TensorDType.F32;
            long best = -1;
            for (Map.Entry<TensorDType, Long> e : by.entrySet()) {
                total[0] += e.getValue();
                if (e.getValue() > best) {
                    best = e.getValue();
                    most = e.getKey();
                }
            }
            return most;
        }
    }
}

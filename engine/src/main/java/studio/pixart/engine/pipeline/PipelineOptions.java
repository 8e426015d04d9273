package studio.pixart.engine.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import studio.pixart.engine.plan.ExecutionPlan;
import studio.pixart.engine.plan.GpuStatus;
import studio.pixart.engine.plan.MachineInfo;
import studio.pixart.engine.plan.Planner;
import studio.pixart.engine.text.T5Encoder;
import studio.pixart.engine.transformer.TransformerOptions;
import studio.pixart.engine.vae.TiledVae;

/**
 * How a pipeline is loaded and run, per component: the transformer's device and compute dtype; T5's
 * device, dtype, weight mode (null = its default) and whether it is released after encoding; the
 * VAE's dtype (float32 by default: the SDXL VAE overflows in float16) and whether a float16 decode
 * that overflows is redone in float32; transformer options (attention memory budget, KV
 * compression); VAE tiling; the on-disk prompt-embedding cache (null = none); and whether prompts
 * are encoded without their padding (exact for the image; see {@link PromptEncoder}).
 *
 * <p>Built from an {@link ExecutionPlan} ({@link #of}); {@link #cpu()} is the plain CPU float32 set-up.
 */
public record PipelineOptions(Device device, DataType dtype,
                              Device textEncoderDevice, DataType textEncoderDtype, T5Encoder.LoadMode textEncoderLoadMode,
                              boolean releaseTextEncoder,
                              DataType vaeDtype, boolean vaeFloat32Retry,
                              TransformerOptions transformerOptions, TiledVae.TileOptions vaeTiles,
                              EmbeddingCache embeddingCache, boolean trimPromptPadding) {

    /** The plan's devices, dtypes and memory options, the request's KV compression, and a prompt cache. */
    public static PipelineOptions of(ExecutionPlan plan, TransformerOptions.KvCompression kv, EmbeddingCache cache) {
        TransformerOptions t = new TransformerOptions(plan.attentionBudgetBytes(), kv);
        return new PipelineOptions(plan.device(), plan.dtype(), plan.textEncoderDevice(), plan.textEncoderDtype(),
                plan.textEncoderLoadMode(), plan.releaseTextEncoder(), plan.vaeDtype(), plan.vaeFloat32Retry(), t,
                plan.vaeTiles(), cache, true);
    }

    /** KV compression from the request: on, off, or auto = on when the generated long side is ≥ 3072 px. */
    public static TransformerOptions.KvCompression kvCompressionFor(GenerationRequest req) {
        boolean on = switch (req.kvCompression()) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> Math.max(req.width(), req.height()) >= 3072;
        };
        return on ? TransformerOptions.KvCompression.upperHalf(2) : TransformerOptions.KvCompression.OFF;
    }

    /**
     * Everything on the CPU in float32, T5 kept loaded, the default attention budget and the CPU's
     * VAE tiling (images above 1 MP, 128 × 128 latent cells, are tiled).
     */
    public static PipelineOptions cpu() {
        return on("cpu", "float32");
    }

    /**
     * Every component on one device ({@code auto | cpu | cuda}; cuda without a usable GPU is an error
     * saying why), the transformer and T5 in {@code dtype} (auto: float16 on a GPU, float32 on the
     * CPU), the VAE in float32, T5 kept loaded, default budgets: the set-up of a numerics check
     * (reference cases on a device) rather than of a planned job.
     */
    public static PipelineOptions on(String device, String dtype) {
        GpuStatus gpu = MachineInfo.gpuStatus();
        boolean onGpu = Planner.useGpu(device, gpu.gpuUsable(), gpu);
        DataType t = Planner.parseDtype(dtype);
        DataType compute = t != null ? t : (onGpu ? DataType.FLOAT16 : DataType.FLOAT32);
        Device d = onGpu ? Device.gpu() : Device.cpu();
        TiledVae.TileOptions tiles = onGpu ? TiledVae.TileOptions.auto() : TiledVae.TileOptions.auto().withMaxUntiledArea(128 * 128);
        return new PipelineOptions(d, compute, d, compute, null, false, DataType.FLOAT32, false, TransformerOptions.defaults(),
                tiles, null, true);
    }

    public PipelineOptions withTransformerOptions(TransformerOptions o) {
        return new PipelineOptions(device, dtype, textEncoderDevice, textEncoderDtype, textEncoderLoadMode, releaseTextEncoder,
                vaeDtype, vaeFloat32Retry, o, vaeTiles, embeddingCache, trimPromptPadding);
    }

    /** Reference-exact prompt embeddings (padding encoded too); the image is the same either way. */
    public PipelineOptions withTrimPromptPadding(boolean trim) {
        return new PipelineOptions(device, dtype, textEncoderDevice, textEncoderDtype, textEncoderLoadMode, releaseTextEncoder,
                vaeDtype, vaeFloat32Retry, transformerOptions, vaeTiles, embeddingCache, trim);
    }

    /** The transformer (and, unless given separately, T5) in {@code t}: for precision checks on the CPU. */
    public PipelineOptions withDtypes(DataType transformer, DataType textEncoder, DataType vae) {
        return new PipelineOptions(device, transformer, textEncoderDevice, textEncoder, textEncoderLoadMode, releaseTextEncoder,
                vae, vaeFloat32Retry, transformerOptions, vaeTiles, embeddingCache, trimPromptPadding);
    }

    public PipelineOptions withVaeFloat32Retry(boolean retry) {
        return new PipelineOptions(device, dtype, textEncoderDevice, textEncoderDtype, textEncoderLoadMode, releaseTextEncoder,
                vaeDtype, retry, transformerOptions, vaeTiles, embeddingCache, trimPromptPadding);
    }

    /** Identity of what is loaded: a pipeline can be reused for another job with an equal key. */
    public String key() {
        return device + "/" + dtype + "/t5 " + textEncoderDevice + "/" + textEncoderDtype + "/" + textEncoderLoadMode + "/"
                + releaseTextEncoder + "/vae " + vaeDtype + "/" + vaeFloat32Retry + "/" + transformerOptions + "/" + vaeTiles;
    }
}

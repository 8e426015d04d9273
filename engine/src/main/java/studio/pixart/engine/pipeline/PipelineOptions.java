package studio.pixart.engine.pipeline;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import studio.pixart.engine.transformer.TransformerOptions;

/**
 * How a pipeline is loaded: device and compute dtype (automatic: CUDA + float16 when DJL finds a
 * GPU, else CPU + float32; both overridable), the VAE's dtype (float32 by default: the SDXL VAE
 * overflows in float16), transformer options (attention memory budget, KV compression) and the
 * on-disk prompt-embedding cache (null = none), and whether prompts are encoded without their
 * padding (exact for the image; see {@link PromptEncoder}).
 */
public record PipelineOptions(Device device, DataType dtype, DataType vaeDtype, TransformerOptions transformerOptions,
                              EmbeddingCache embeddingCache, boolean trimPromptPadding) {

    public static PipelineOptions resolve(String device, String dtype, TransformerOptions transformerOptions,
                                          EmbeddingCache cache) {
        Device d;
        String dev = device == null ? "auto" : device.toLowerCase();
        switch (dev) {
            case "auto" -> d = Engine.getEngine("PyTorch").getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            case "cpu" -> d = Device.cpu();
            case "cuda", "gpu" -> {
                if (Engine.getEngine("PyTorch").getGpuCount() == 0) {
                    throw new IllegalArgumentException("device cuda: no CUDA GPU is visible to libtorch "
                            + "(this build has the CPU natives; install the CUDA flavour)");
                }
                d = Device.gpu();
            }
            default -> throw new IllegalArgumentException("unknown device '" + device + "' (auto, cpu or cuda)");
        }
        DataType t;
        String dt = dtype == null ? "auto" : dtype.toLowerCase();
        switch (dt) {
            case "auto" -> t = d.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
            case "float32", "fp32" -> t = DataType.FLOAT32;
            case "float16", "fp16", "half" -> t = DataType.FLOAT16;
            case "bfloat16", "bf16" -> throw new IllegalArgumentException(
                    "bfloat16 compute is not available in this engine (DJL has no bfloat16); bf16 weights load as float32 or float16");
            default -> throw new IllegalArgumentException("unknown dtype '" + dtype + "' (auto, float32 or float16)");
        }
        return new PipelineOptions(d, t, DataType.FLOAT32,
                transformerOptions == null ? TransformerOptions.defaults() : transformerOptions, cache, true);
    }

    /** KV compression from the request: on, off, or auto = on when the generated long side is ≥ 3072 px. */
    public static TransformerOptions transformerOptionsFor(GenerationRequest req) {
        boolean on = switch (req.kvCompression()) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> Math.max(req.width(), req.height()) >= 3072;
        };
        return on ? TransformerOptions.defaults().withKvCompression(TransformerOptions.KvCompression.upperHalf(2))
                : TransformerOptions.defaults();
    }

    public static PipelineOptions cpu() {
        return resolve("cpu", "float32", null, null);
    }

    public PipelineOptions withEmbeddingCache(EmbeddingCache c) {
        return new PipelineOptions(device, dtype, vaeDtype, transformerOptions, c, trimPromptPadding);
    }

    public PipelineOptions withTransformerOptions(TransformerOptions o) {
        return new PipelineOptions(device, dtype, vaeDtype, o, embeddingCache, trimPromptPadding);
    }

    /** Reference-exact prompt embeddings (padding encoded too); the image is the same either way. */
    public PipelineOptions withTrimPromptPadding(boolean trim) {
        return new PipelineOptions(device, dtype, vaeDtype, transformerOptions, embeddingCache, trim);
    }

    /** Identity of what is loaded: a pipeline can be reused for another job with an equal key. */
    public String key() {
        return device + "/" + dtype + "/" + vaeDtype + "/" + transformerOptions;
    }
}

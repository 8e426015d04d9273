package studio.pixart.engine.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import studio.pixart.engine.io.Checkpoint;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.io.TensorInfo;
import studio.pixart.engine.scheduler.Schedulers;
import studio.pixart.engine.text.T5Config;
import studio.pixart.engine.text.T5Encoder;
import studio.pixart.engine.text.T5Tokenizer;
import studio.pixart.engine.transformer.PixArtTransformer;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.vae.AutoencoderKL;
import studio.pixart.engine.vae.VaeConfig;

/**
 * Everything about a pipeline folder that {@code generate} would reject, found without generating:
 * {@link #configProblems} reads every config and the tokenizer and compares the components with
 * each other (cheap: JSON, the spiece.model and the safetensors headers); {@link #weightProblems}
 * loads each component on the CPU the way the pipeline does (shapes, missing and extra tensors);
 * {@link #nonFiniteWeights} scans every weight for NaN, ±Inf and values too large to survive a
 * matmul. Each problem names the component and file.
 */
public final class ModelCheck {
    /** A finite weight above this overflows float32 after a few products; real weights are below ~1e4. */
    static final double IMPLAUSIBLE_MAGNITUDE = 1e20;
    static final Set<String> PIPELINE_CLASSES = Set.of("PixArtSigmaPipeline", "PixArtAlphaPipeline");
    private static final Set<TensorDType> WEIGHT_DTYPES = Set.of(TensorDType.F32, TensorDType.F16, TensorDType.BF16, TensorDType.F64);

    private ModelCheck() {}

    public static List<String> configProblems(PipelineFolder f) {
        List<String> problems = new ArrayList<>();
        String cls = f.pipelineClass();
        if (!cls.isEmpty() && !PIPELINE_CLASSES.contains(cls)) {
            problems.add(f.root().resolve("model_index.json") + ": _class_name '" + cls
                    + "' is not a PixArt pipeline (expected PixArtSigmaPipeline or PixArtAlphaPipeline)");
        }
        TransformerConfig tc = null;
        VaeConfig vc = null;
        T5Config t5 = null;
        T5Tokenizer tok = null;
        if (f.has("transformer")) {
            tc = attempt(problems, "transformer", () -> TransformerConfig.read(f.component("transformer").resolve("config.json")));
        }
        if (f.has("vae")) {
            vc = attempt(problems, "vae", () -> VaeConfig.load(f.component("vae")));
        }
        if (f.has("text_encoder")) {
            t5 = attempt(problems, "text_encoder", () -> T5Config.load(f.component("text_encoder")));
        }
        if (f.has("tokenizer")) {
            tok = attempt(problems, "tokenizer", () -> T5Tokenizer.load(f.component("tokenizer")));
        }
        if (f.has("scheduler")) {
            Path file = f.component("scheduler").resolve("scheduler_config.json");
            attempt(problems, "scheduler", () -> {
                JsonNode json = f.config("scheduler");
                Schedulers.fromConfig(json).setTimesteps(20);
                return null;
            }, file);
        }
        // the components against each other
        if (tc != null && t5 != null && tc.captionChannels() != t5.dModel()) {
            problems.add("transformer/config.json: caption_channels " + tc.captionChannels() + " does not match the text encoder's d_model "
                    + t5.dModel() + " (text_encoder/config.json): the components come from different models");
        }
        if (tc != null && vc != null) {
            if (tc.inChannels() != vc.latentChannels()) {
                problems.add("transformer/config.json: in_channels " + tc.inChannels() + " does not match the VAE's latent_channels "
                        + vc.latentChannels() + " (vae/config.json)");
            }
            if (tc.outChannels() != tc.inChannels() && tc.outChannels() != 2 * tc.inChannels()) {
                problems.add("transformer/config.json: out_channels " + tc.outChannels() + " must be in_channels ("
                        + tc.inChannels() + ") or twice it (learned sigma)");
            }
        }
        if (tc != null && tc.useAdditionalConditions() && !cls.isEmpty() && cls.equals("PixArtSigmaPipeline")) {
            problems.add("transformer/config.json: this is a PixArt-α transformer (size conditioning, use_additional_conditions"
                    + " with sample_size " + tc.sampleSize() + ") but model_index.json declares PixArtSigmaPipeline, which passes"
                    + " no size: use it with a PixArt-α pipeline folder (PixArtAlphaPipeline) or use a PixArt-Σ transformer");
        }
        if (tok != null && t5 != null && tok.vocabSize() > t5.vocabSize()) {
            problems.add("tokenizer/spiece.model has " + tok.vocabSize() + " tokens but the text encoder's vocab_size is "
                    + t5.vocabSize() + " (text_encoder/config.json): token ids past the embedding table cannot be encoded");
        }
        for (String c : List.of("transformer", "text_encoder", "vae")) {
            if (!f.has(c)) {
                continue;
            }
            try (Checkpoint ck = Checkpoint.open(f.component(c))) {
                int reported = 0;
                for (String name : ck.names()) {
                    TensorInfo t = ck.info(name);
                    if (!WEIGHT_DTYPES.contains(t.dtype()) && reported++ < 3) {
                        problems.add(c + ": " + ck.fileOf(name) + ": tensor '" + name + "' is stored as " + t.dtype()
                                + ", but weights must be F32, F16, BF16 or F64");
                    }
                }
            } catch (RuntimeException e) {
                problems.add(c + ": " + e.getMessage());
            }
        }
        return problems;
    }

    /** Loads each component on the CPU as the pipeline does; any failure (shape, missing or extra tensor) is a problem. */
    public static List<String> weightProblems(PipelineFolder f) {
        List<String> problems = new ArrayList<>();
        if (f.has("transformer")) {
            attempt(problems, "transformer", () -> {
                PixArtTransformer.load(f.component("transformer"), Device.cpu(), loadDtype(f.component("transformer")), null).close();
                return null;
            });
        }
        if (f.has("vae")) {
            attempt(problems, "vae", () -> {
                AutoencoderKL.load(f.component("vae"), Device.cpu(), DataType.FLOAT32).close();
                return null;
            });
        }
        if (f.has("text_encoder")) {
            // per-layer mode checks every tensor's shape from the headers and loads only a few KB
            attempt(problems, "text_encoder", () -> {
                T5Encoder.load(f.component("text_encoder"), Device.cpu(), DataType.FLOAT32, T5Encoder.LoadMode.PER_LAYER).close();
                return null;
            });
        }
        return problems;
    }

    /** float16 files load as float16 (no copy); everything else as float32. */
    private static DataType loadDtype(Path dir) {
        try (Checkpoint ck = Checkpoint.open(dir)) {
            Map<TensorDType, Long> by = ck.parameterCountByDtype();
            long f16 = by.getOrDefault(TensorDType.F16, 0L);
            return f16 * 2 > ck.parameterCount() ? DataType.FLOAT16 : DataType.FLOAT32;
        }
    }

    /** Every float weight of every component scanned for NaN, ±Inf and implausibly large values. */
    public static List<String> nonFiniteWeights(PipelineFolder f) {
        List<String> problems = new ArrayList<>();
        for (String c : List.of("transformer", "text_encoder", "vae")) {
            if (!f.has(c)) {
                continue;
            }
            try (Checkpoint ck = Checkpoint.open(f.component(c))) {
                for (String name : ck.names()) {
                    TensorInfo t = ck.info(name);
                    if (!WEIGHT_DTYPES.contains(t.dtype())) {
                        continue;
                    }
                    String bad = scan(ck.raw(name), t.dtype(), t.elementCount());
                    if (bad != null) {
                        problems.add(c + ": " + ck.fileOf(name) + ": tensor '" + name + "' " + bad);
                    }
                }
            } catch (RuntimeException e) {
                problems.add(c + ": " + e.getMessage());
            }
        }
        return problems;
    }

    /** null when every value is finite and plausible; else what was found and where first. */
    static String scan(ByteBuffer b, TensorDType dtype, long count) {
        long nan = 0;
        long inf = 0;
        long huge = 0;
        long first = -1;
        for (long i = 0; i < count; i++) {
            int k = (int) i;
            double v = switch (dtype) {
                case F32 -> b.getFloat(4 * k);
                case F16 -> studio.pixart.engine.io.Half.toFloat(b.getShort(2 * k));
                case BF16 -> Float.intBitsToFloat((b.getShort(2 * k) & 0xffff) << 16);
                case F64 -> b.getDouble(8 * k);
                default -> 0;
            };
            if (Double.isNaN(v)) {
                nan++;
            } else if (Double.isInfinite(v)) {
                inf++;
            } else if (Math.abs(v) > IMPLAUSIBLE_MAGNITUDE) {
                huge++;
            } else {
                continue;
            }
            if (first < 0) {
                first = i;
            }
        }
        if (first < 0) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        if (nan > 0) {
            parts.add(nan + " NaN");
        }
        if (inf > 0) {
            parts.add(inf + " infinite");
        }
        if (huge > 0) {
            parts.add(huge + " with magnitude > 1e20");
        }
        return "holds " + String.join(", ", parts) + " of " + count + " values (first at flat index " + first
                + "): the file is corrupt or was exported from a diverged model";
    }

    private interface Check<T> {
        T run();
    }

    private static <T> T attempt(List<String> problems, String component, Check<T> check) {
        return attempt(problems, component, check, null);
    }

    private static <T> T attempt(List<String> problems, String component, Check<T> check, Path file) {
        try {
            return check.run();
        } catch (RuntimeException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            problems.add(component + ": " + (file != null && !m.contains(file.toString()) ? file + ": " : "") + m);
            return null;
        }
    }
}

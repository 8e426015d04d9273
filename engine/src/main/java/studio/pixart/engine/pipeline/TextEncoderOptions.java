package studio.pixart.engine.pipeline;

import java.nio.file.Path;
import studio.pixart.engine.text.T5Encoder;
import studio.pixart.engine.text.T5Int8;

/**
 * How the T5 text encoder is held and computed — the knobs a memory plan sets.
 *
 * @param weights EAGER (all blocks resident: zero-copy mapped when the file's dtype is the compute
 *     dtype, else a converted copy), PER_LAYER (one block converted at a time: ~0.8 GB for T5-XXL in
 *     float32), or null for the encoder's default (PER_LAYER on the CPU when a conversion is needed)
 * @param int8 compute from an 8-bit copy ({@link T5Int8}: converted once into {@code int8CacheRoot},
 *     half the bytes of bfloat16 to read per prompt). Changes the embeddings slightly: opt-in
 * @param int8CacheRoot where 8-bit copies are kept; null = {@link T5Int8#defaultCacheRoot()}
 * @param releaseAfterEncoding close T5 right after each encoding pass (its weights and mappings are
 *     freed before denoising starts; the next new prompt loads it again, which costs little in
 *     PER_LAYER mode — prompts already seen come from the embedding caches)
 */
public record TextEncoderOptions(T5Encoder.LoadMode weights, boolean int8, Path int8CacheRoot, boolean releaseAfterEncoding) {

    /** Default: the encoder's own weight mode, full precision, kept loaded. */
    public static TextEncoderOptions defaults() {
        return new TextEncoderOptions(null, false, null, false);
    }

    /** {@code full} (default) or {@code int8}, as the CLI's {@code --text-encoder} and the request name it. */
    public static TextEncoderOptions parse(String precision) {
        String p = precision == null ? "full" : precision.toLowerCase();
        return switch (p) {
            case "full", "auto" -> defaults();
            case "int8" -> defaults().withInt8(true);
            default -> throw new IllegalArgumentException("--text-encoder is full or int8, got '" + precision + "'");
        };
    }

    public TextEncoderOptions withWeights(T5Encoder.LoadMode mode) {
        return new TextEncoderOptions(mode, int8, int8CacheRoot, releaseAfterEncoding);
    }

    public TextEncoderOptions withInt8(boolean on) {
        return new TextEncoderOptions(weights, on, int8CacheRoot, releaseAfterEncoding);
    }

    public TextEncoderOptions withInt8CacheRoot(Path root) {
        return new TextEncoderOptions(weights, int8, root, releaseAfterEncoding);
    }

    public TextEncoderOptions withReleaseAfterEncoding(boolean release) {
        return new TextEncoderOptions(weights, int8, int8CacheRoot, release);
    }

    /** The 8-bit cache folder in use. */
    public Path int8Root() {
        return int8CacheRoot != null ? int8CacheRoot : T5Int8.defaultCacheRoot();
    }
}

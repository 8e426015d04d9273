package studio.pixart.engine.transformer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.Json;

/**
 * The {@code transformer/config.json} of a diffusers {@code PixArtTransformer2DModel}, with the two
 * defaults diffusers derives from {@code sample_size} already resolved:
 * {@code interpolation_scale} (null → max(sample_size // 64, 1)) and
 * {@code use_additional_conditions} (null → sample_size == 128, the PixArt-α 1024 micro-conditions).
 *
 * <p>Only the PixArt flavour of the model is accepted: adaLN-single norms without affine parameters,
 * tanh-GELU feed-forward, a caption projection to the hidden width and default attention.
 */
public record TransformerConfig(
        int numHeads,
        int headDim,
        int inChannels,
        int outChannels,
        int numLayers,
        int crossAttentionDim,
        boolean attentionBias,
        int sampleSize,
        int patchSize,
        double normEps,
        double interpolationScale,
        boolean useAdditionalConditions,
        int captionChannels) {

    public TransformerConfig {
        int d = numHeads * headDim;
        require(numHeads > 0 && headDim > 0, "num_attention_heads and attention_head_dim must be positive");
        require(inChannels > 0 && outChannels > 0, "in_channels and out_channels must be positive");
        require(numLayers > 0, "num_layers must be positive");
        require(patchSize > 0 && sampleSize > 0, "patch_size and sample_size must be positive");
        require(sampleSize % patchSize == 0, "sample_size " + sampleSize + " is not a multiple of patch_size " + patchSize);
        require(captionChannels > 0, "caption_channels must be positive");
        // The 2-D sin-cos table splits D into 4 quarter-width sinusoid banks.
        require(d % 4 == 0, "inner dim " + d + " (heads × head dim) must be divisible by 4 for the 2-D sin-cos table");
        // Size conditioning concatenates three D/3 embeddings [res_h, res_w, aspect].
        require(!useAdditionalConditions || d % 3 == 0,
                "inner dim " + d + " must be divisible by 3 when use_additional_conditions is on");
        // Text is projected to D before the cross-attention, so its keys come from D-wide tokens.
        require(crossAttentionDim == d, "cross_attention_dim " + crossAttentionDim
                + " must equal the inner dim " + d + " (PixArt projects the caption to the inner dim)");
        require(interpolationScale > 0, "interpolation_scale must be positive");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new ConfigException("transformer config: " + message);
        }
    }

    /** Hidden width D = heads × head dim (1152 for PixArt-XL). */
    public int innerDim() {
        return numHeads * headDim;
    }

    /** {@code sample_size / patch_size}: the grid the sin-cos positions are normalised to. */
    public int baseSize() {
        return sampleSize / patchSize;
    }

    /** PixArt-XL-2 (28 layers, 16 × 72 heads, T5-XXL captions) at a given latent sample size (128 → 1024 px). */
    public static TransformerConfig pixArtXl(int sampleSize) {
        return new TransformerConfig(16, 72, 4, 8, 28, 1152, true, sampleSize, 2, 1e-6,
                Math.max(sampleSize / 64, 1), sampleSize == 128, 4096);
    }

    /** Reads {@code config.json}; every unsupported setting is reported with the file name. */
    public static TransformerConfig read(Path configJson) {
        JsonNode c = Json.read(configJson);
        try {
            return fromJson(c);
        } catch (ConfigException e) {
            throw new ConfigException(configJson, e.getMessage());
        }
    }

    static TransformerConfig fromJson(JsonNode c) {
        String cls = text(c, "_class_name", "PixArtTransformer2DModel");
        // diffusers' own defaults: PixArtTransformer2DModel assumes adaLN-single, Transformer2DModel layer_norm.
        String normType = text(c, "norm_type", cls.equals("PixArtTransformer2DModel") ? "ada_norm_single" : "layer_norm");
        // Old PixArt repos name the class Transformer2DModel; diffusers maps it to the PixArt model
        // exactly when the norm is adaLN-single.
        if (!cls.equals("PixArtTransformer2DModel") && !cls.equals("Transformer2DModel")) {
            throw new ConfigException("transformer config: _class_name '" + cls
                    + "' is not a PixArt transformer (expected PixArtTransformer2DModel)");
        }
        if (!normType.equals("ada_norm_single")) {
            throw new ConfigException("transformer config: norm_type '" + normType
                    + "' is not supported (PixArt uses 'ada_norm_single')");
        }
        String act = text(c, "activation_fn", "gelu-approximate");
        if (!act.equals("gelu-approximate")) {
            throw new ConfigException("transformer config: activation_fn '" + act + "' is not supported (expected 'gelu-approximate')");
        }
        String attType = text(c, "attention_type", "default");
        if (!attType.equals("default")) {
            throw new ConfigException("transformer config: attention_type '" + attType + "' is not supported (expected 'default')");
        }
        if (c.path("norm_elementwise_affine").asBoolean(false)) {
            throw new ConfigException("transformer config: norm_elementwise_affine=true is not supported (PixArt uses false)");
        }
        if (c.path("caption_channels").isNull() || c.path("caption_channels").isMissingNode()) {
            throw new ConfigException("transformer config: caption_channels is missing (PixArt needs the caption projection)");
        }
        // Keys diffusers cannot take as None are required to be integers when present; the ranges
        // are generous bounds that keep a typo (sample_size 1e8) from reaching an allocation.
        int heads = integer(c, "num_attention_heads", 16, 1, 1024);
        int headDim = integer(c, "attention_head_dim", 72, 1, 4096);
        int sample = integer(c, "sample_size", 128, 1, 2048);
        int in = integer(c, "in_channels", 4, 1, 1024);
        int out = optionalInteger(c, "out_channels", in, 1, 2048);
        JsonNode interp = c.get("interpolation_scale");
        double interpolation = interp == null || interp.isNull() ? Math.max(sample / 64, 1) : number(c, "interpolation_scale", 1e-3, 1e3);
        JsonNode addCond = c.get("use_additional_conditions");
        boolean useAdd = addCond == null || addCond.isNull() ? sample == 128 : bool(c, "use_additional_conditions");
        int crossDim = optionalInteger(c, "cross_attention_dim", heads * headDim, 1, 1 << 20);
        boolean attentionBias = c.has("attention_bias") ? bool(c, "attention_bias") : true;
        double eps = c.has("norm_eps") ? number(c, "norm_eps", 0, 1) : 1e-6;
        return new TransformerConfig(heads, headDim, in, out,
                integer(c, "num_layers", 28, 1, 1024), crossDim, attentionBias,
                sample, integer(c, "patch_size", 2, 1, 64), eps,
                interpolation, useAdd, integer(c, "caption_channels", 4096, 1, 1 << 16));
    }

    private static String text(JsonNode c, String key, String fallback) {
        JsonNode n = c.get(key);
        return n == null || n.isNull() ? fallback : n.asText();
    }

    /** An integer key: absent → the default; null, a fraction, a string or out of range → an error naming the key. */
    private static int integer(JsonNode c, String key, int fallback, int min, int max) {
        JsonNode n = c.get(key);
        if (n == null) {
            return fallback;
        }
        if (n.isNull()) {
            throw new ConfigException("transformer config: " + key + " is null; it must be an integer between "
                    + min + " and " + max + " (diffusers cannot build the model without it)");
        }
        return checkedInt(key, n, min, max);
    }

    /** As {@link #integer}, but null means "derive it" as in diffusers. */
    private static int optionalInteger(JsonNode c, String key, int derived, int min, int max) {
        JsonNode n = c.get(key);
        return n == null || n.isNull() ? derived : checkedInt(key, n, min, max);
    }

    private static int checkedInt(String key, JsonNode n, int min, int max) {
        boolean integral = n.isIntegralNumber() || (n.isNumber() && n.asDouble() == Math.rint(n.asDouble()));
        if (!n.isNumber() || !integral) {
            throw new ConfigException("transformer config: " + key + " must be an integer, got " + n);
        }
        double v = n.asDouble();
        if (v < min || v > max) {
            throw new ConfigException("transformer config: " + key + " = " + n + " is out of range (" + min + ".." + max + ")");
        }
        return (int) v;
    }

    private static double number(JsonNode c, String key, double minExclusive, double max) {
        JsonNode n = c.get(key);
        if (n == null || !n.isNumber()) {
            throw new ConfigException("transformer config: " + key + " must be a number, got " + n);
        }
        double v = n.asDouble();
        if (!(v > minExclusive && v <= max)) {
            throw new ConfigException("transformer config: " + key + " = " + n + " must be greater than " + minExclusive
                    + " and at most " + max);
        }
        return v;
    }

    private static boolean bool(JsonNode c, String key) {
        JsonNode n = c.get(key);
        if (n == null || !n.isBoolean()) {
            throw new ConfigException("transformer config: " + key + " must be true or false, got " + n);
        }
        return n.asBoolean();
    }
}

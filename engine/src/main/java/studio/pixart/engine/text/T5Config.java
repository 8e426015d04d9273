package studio.pixart.engine.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.Json;

/**
 * The part of transformers' {@code T5Config} (text_encoder/config.json) that the encoder uses.
 * Sizes have no sensible default (transformers falls back to t5-small's, which would silently
 * build the wrong model), so they are required; the relative-position and norm settings take
 * transformers' defaults. Only the gated-GELU feed-forward of T5 v1.1 (what PixArt uses) is
 * supported.
 *
 * @param dModel width of the hidden states
 * @param dKv width of one attention head (no 1/sqrt(d_kv) scaling in T5)
 * @param numHeads attention heads; the attention's inner width is numHeads * dKv
 * @param dFf feed-forward width
 * @param numLayers encoder blocks
 * @param vocabSize rows of the shared embedding table
 * @param numBuckets relative-position buckets (half per direction)
 * @param maxDistance distance from which all positions share the last bucket
 * @param layerNormEps RMSNorm epsilon
 * @param activation the feed-forward activation name as transformers derives it (gelu_new)
 */
public record T5Config(int dModel, int dKv, int numHeads, int dFf, int numLayers, int vocabSize,
                       int numBuckets, int maxDistance, double layerNormEps, String activation) {

    /** Real T5 v1.1 XXL (PixArt's text encoder), for sizing and benchmarks. */
    public static T5Config xxl() {
        return new T5Config(4096, 64, 64, 10240, 24, 32128, 32, 128, 1e-6, "gelu_new");
    }

    public T5Config {
        if (dModel <= 0 || dKv <= 0 || numHeads <= 0 || dFf <= 0 || numLayers <= 0 || vocabSize <= 0) {
            throw new ConfigException("T5 sizes must be positive: d_model " + dModel + ", d_kv " + dKv
                    + ", num_heads " + numHeads + ", d_ff " + dFf + ", num_layers " + numLayers + ", vocab_size " + vocabSize);
        }
        // Bidirectional buckets: half per direction, and half of those are exact (max_exact >= 1).
        if (numBuckets < 4 || numBuckets % 2 != 0 || maxDistance <= numBuckets / 4) {
            throw new ConfigException("relative_attention_num_buckets " + numBuckets + " must be even and >= 4, and "
                    + "relative_attention_max_distance " + maxDistance + " larger than num_buckets / 4");
        }
        if (dModel > 65536 || dKv > 65536 || numHeads > 1024 || dFf > 1 << 20 || numLayers > 1024 || vocabSize > 4_000_000
                || numBuckets > 4096 || maxDistance > 1 << 20) {
            throw new ConfigException("T5 sizes out of range: d_model " + dModel + ", d_kv " + dKv + ", num_heads " + numHeads
                    + ", d_ff " + dFf + ", num_layers " + numLayers + ", vocab_size " + vocabSize
                    + " (a typo here would reach an allocation)");
        }
        if (!(layerNormEps > 0) || layerNormEps > 1) {
            throw new ConfigException("layer_norm_epsilon must be positive, got " + layerNormEps);
        }
    }

    public int innerDim() {
        return numHeads * dKv;
    }

    /** Reads {@code config.json} of a text_encoder folder (or the file itself). */
    public static T5Config load(Path textEncoderDirOrFile) {
        Path file = Files.isDirectory(textEncoderDirOrFile) ? textEncoderDirOrFile.resolve("config.json") : textEncoderDirOrFile;
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file, "T5 text encoder config.json not found");
        }
        return parse(Json.read(file), file);
    }

    static T5Config parse(JsonNode n, Path file) {
        if (n == null || !n.isObject()) {
            throw new ConfigException(file, "config is not a JSON object");
        }
        // transformers' T5Config.__init__ derives the activation from feed_forward_proj
        // ("gated-gelu" is special-cased to gelu_new); the stored dense_act_fn is ignored on load.
        String proj = requiredText(n, "feed_forward_proj", file);
        String[] parts = proj.split("-");
        boolean gated = parts.length == 2 && parts[0].equals("gated");
        String act = proj.equals("gated-gelu") ? "gelu_new" : parts[parts.length - 1];
        if (!gated || !(act.equals("gelu_new") || act.equals("gelu_pytorch_tanh"))) {
            throw new ConfigException(file, "feed_forward_proj '" + proj + "' is not supported: only the gated "
                    + "tanh-GELU feed-forward of T5 v1.1 ('gated-gelu') is implemented");
        }
        return new T5Config(
                requiredInt(n, "d_model", file), requiredInt(n, "d_kv", file), requiredInt(n, "num_heads", file),
                requiredInt(n, "d_ff", file), requiredInt(n, "num_layers", file), requiredInt(n, "vocab_size", file),
                optionalInt(n, "relative_attention_num_buckets", 32, file),
                optionalInt(n, "relative_attention_max_distance", 128, file),
                n.has("layer_norm_epsilon") ? number(n, "layer_norm_epsilon", file) : 1e-6,
                act);
    }

    private static int requiredInt(JsonNode n, String key, Path file) {
        if (!n.has(key) || n.get(key).isNull()) {
            throw new ConfigException(file, "T5 config is missing required key '" + key + "'");
        }
        return optionalInt(n, key, 0, file);
    }

    private static int optionalInt(JsonNode n, String key, int dflt, Path file) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ConfigException(file, "T5 config key '" + key + "' must be an integer, got " + v);
        }
        return v.intValue();
    }

    private static double number(JsonNode n, String key, Path file) {
        JsonNode v = n.get(key);
        if (!v.isNumber()) {
            throw new ConfigException(file, "T5 config key '" + key + "' must be a number, got " + v);
        }
        return v.doubleValue();
    }

    private static String requiredText(JsonNode n, String key, Path file) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) {
            throw new ConfigException(file, "T5 config is missing required key '" + key + "' (expected e.g. \"gated-gelu\")");
        }
        return v.asText();
    }
}

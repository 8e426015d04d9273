package studio.pixart.engine.transformer;

import java.util.Set;
import java.util.TreeSet;

/**
 * Run-time choices that do not change the weights: how much memory one attention chunk may use,
 * and optional key/value token compression (PixArt-Σ).
 *
 * @param attentionBudgetBytes bytes one float32 score matrix chunk (batch × heads × queries × keys)
 *     may take; queries are processed in chunks of {@code budget / (B·heads·keys·4)} rows (at least 1)
 * @param kvCompression key/value compression for the self-attention of some layers
 */
public record TransformerOptions(long attentionBudgetBytes, KvCompression kvCompression) {
    public static final long DEFAULT_ATTENTION_BUDGET = 512L << 20;

    public TransformerOptions {
        if (attentionBudgetBytes <= 0) {
            throw new IllegalArgumentException("attentionBudgetBytes must be positive, got " + attentionBudgetBytes);
        }
        if (kvCompression == null) {
            kvCompression = KvCompression.OFF;
        }
    }

    public static TransformerOptions defaults() {
        return new TransformerOptions(DEFAULT_ATTENTION_BUDGET, KvCompression.OFF);
    }

    public TransformerOptions withAttentionBudget(long bytes) {
        return new TransformerOptions(bytes, kvCompression);
    }

    public TransformerOptions withKvCompression(KvCompression kv) {
        return new TransformerOptions(attentionBudgetBytes, kv);
    }

    /**
     * PixArt-Σ's KV token compression: in the chosen layers the self-attention keys and values are
     * average-pooled over {@code ratio × ratio} token neighbourhoods of the latent grid, so each query
     * attends to N/ratio² tokens. Average pooling is what the paper's depthwise conv is initialised
     * to (weights 1/ratio²). A layer whose checkpoint carries trained compression weights
     * ({@code attn1.kv_compression.weight}, {@code attn1.norm.*}) always uses those, whatever these
     * options say: the model was trained with them.
     *
     * @param enabled off by default
     * @param ratio pooling window and stride per axis (1 = keep every token, the identity)
     * @param layers block indices; null = the upper half of the model (14..27 for 28 layers)
     */
    public record KvCompression(boolean enabled, int ratio, Set<Integer> layers) {
        public static final KvCompression OFF = new KvCompression(false, 2, null);

        public KvCompression {
            if (ratio < 1) {
                throw new IllegalArgumentException("KV compression ratio must be >= 1, got " + ratio);
            }
            layers = layers == null ? null : Set.copyOf(layers);
        }

        public static KvCompression upperHalf(int ratio) {
            return new KvCompression(true, ratio, null);
        }

        /** The layers compressed in a model of {@code numLayers} blocks. */
        public Set<Integer> layersFor(int numLayers) {
            if (!enabled) {
                return Set.of();
            }
            Set<Integer> chosen = new TreeSet<>();
            if (layers == null) {
                for (int i = numLayers / 2; i < numLayers; i++) {
                    chosen.add(i);
                }
                return chosen;
            }
            for (int i : layers) {
                if (i < 0 || i >= numLayers) {
                    throw new IllegalArgumentException("KV compression layer " + i + " is outside 0.." + (numLayers - 1));
                }
                chosen.add(i);
            }
            return chosen;
        }
    }
}

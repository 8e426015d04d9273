package studio.pixart.engine.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.plan.MachineInfo;
import studio.pixart.engine.plan.Planner;
import studio.pixart.engine.text.PromptText;
import studio.pixart.engine.text.T5Encoder;
import studio.pixart.engine.text.T5Int8;
import studio.pixart.engine.text.T5Tokenizer;

/**
 * Prompt → T5 embeddings exactly as the reference pipeline computes them: Python
 * {@code lower().strip()} pre-processing (clean_caption=False), T5 tokenization padded to the max
 * length, the T5 encoder. T5 (the largest component) is loaded on first use and can be released;
 * embeddings are kept in memory for recent prompts and, with an {@link EmbeddingCache}, on disk.
 *
 * <p>{@code trimPadding}: encode only each prompt's real tokens and zero the padded positions.
 * The padded positions are masked out of PixArt's cross-attention (their weight underflows to
 * exactly 0), so the image is unchanged; a 20-token prompt at length 300 then costs 20 positions.
 * Off, the padded positions hold T5's own outputs, as in the reference's {@code prompt_embeds}.
 */
public final class PromptEncoder implements AutoCloseable {
    private static final int MEMORY_ENTRIES = 32;

    private final PipelineFolder folder;
    private final Device device;
    private final DataType dtype;
    private final EmbeddingCache diskCache;
    private final boolean trimPadding;
    private final TextEncoderOptions options;
    private final T5Tokenizer tokenizer;
    private final int dim;
    private T5Encoder encoder;
    private final List<T5Encoder.Profile> profiles = new ArrayList<>();
    private final Map<String, float[]> recent = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
            return size() > MEMORY_ENTRIES;
        }
    };

    public PromptEncoder(PipelineFolder folder, Device device, DataType dtype, EmbeddingCache diskCache, boolean trimPadding) {
        this(folder, device, dtype, diskCache, trimPadding, TextEncoderOptions.defaults());
    }

    /** {@code loadMode}: how T5 holds its weights (null = T5's default for the device and dtypes). */
    public PromptEncoder(PipelineFolder folder, Device device, DataType dtype, T5Encoder.LoadMode loadMode,
                         EmbeddingCache diskCache, boolean trimPadding) {
        this(folder, device, dtype, diskCache, trimPadding, TextEncoderOptions.defaults().withWeights(loadMode));
    }

    public PromptEncoder(PipelineFolder folder, Device device, DataType dtype, EmbeddingCache diskCache, boolean trimPadding,
                         TextEncoderOptions options) {
        this.options = options == null ? TextEncoderOptions.defaults() : options;
        this.folder = folder;
        this.device = device;
        this.dtype = dtype;
        this.diskCache = diskCache;
        this.trimPadding = trimPadding;
        this.tokenizer = T5Tokenizer.load(folder.component("tokenizer"));
        this.dim = folder.config("text_encoder").path("d_model").asInt();
    }

    /** For the CLI's {@code encode}: reference-exact output (padding encoded too), no disk cache. */
    public static PromptEncoder load(PipelineFolder folder, String device, String dtype) {
        boolean gpu = Planner.useGpu(device, MachineInfo.gpuStatus().gpuUsable(), MachineInfo.gpuStatus());
        DataType t = Planner.parseDtype(dtype);
        return new PromptEncoder(folder, gpu ? Device.gpu() : Device.cpu(),
                t != null ? t : (gpu ? DataType.FLOAT16 : DataType.FLOAT32), null, false);
    }

    public T5Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Loads T5 now (otherwise on first use). */
    public void loadTextEncoder() {
        if (encoder == null) {
            Path dir = folder.component("text_encoder");
            if (options.int8()) {
                dir = T5Int8.ensure(dir, options.int8Root(), null);
            }
            encoder = T5Encoder.load(dir, device, dtype, options.weights());
        }
    }

    public void releaseTextEncoder() {
        if (encoder != null) {
            encoder.close();
            encoder = null;
        }
    }

    /**
     * Encodes each text (one row each) at {@code maxLength} tokens. Rows found in the memory or disk
     * cache are not recomputed; all others go through T5 together in one pass, so a prompt and its
     * negative prompt cost one read of the weights, not two.
     */
    public PromptEmbeddings encode(List<String> texts, int maxLength) {
        int n = texts.size();
        long[] ids = new long[n * maxLength];
        long[] mask = new long[n * maxLength];
        int[] counts = new int[n];
        boolean[] truncated = new boolean[n];
        float[] embeds = new float[n * maxLength * dim];
        List<Integer> missing = new ArrayList<>();
        List<String> pre = new ArrayList<>();
        String[] keys = new String[n];
        for (int i = 0; i < n; i++) {
            String p = PromptText.preprocess(texts.get(i));
            pre.add(p);
            T5Tokenizer.Encoding e = tokenizer.encode(p, maxLength);
            System.arraycopy(e.inputIds(), 0, ids, i * maxLength, maxLength);
            System.arraycopy(e.attentionMask(), 0, mask, i * maxLength, maxLength);
            counts[i] = e.tokenCount();
            truncated[i] = e.truncated();
            keys[i] = variant() + (trimPadding ? "trim:" : "full:") + Arrays.toString(e.inputIds()) + Arrays.toString(e.attentionMask());
            float[] row = cached(keys[i], p, e.inputIds(), e.attentionMask());
            if (row == null) {
                missing.add(i);
            } else {
                System.arraycopy(row, 0, embeds, i * maxLength * dim, row.length);
            }
        }
        // Identical texts in one call are encoded once.
        Map<String, Integer> firstOf = new LinkedHashMap<>();
        for (int i : missing) {
            firstOf.putIfAbsent(keys[i], i);
        }
        if (!firstOf.isEmpty()) {
            loadTextEncoder();
            List<Integer> rows = new ArrayList<>(firstOf.values());
            long[][] bi = new long[rows.size()][];
            long[][] bm = new long[rows.size()][];
            for (int k = 0; k < rows.size(); k++) {
                int i = rows.get(k);
                bi[k] = Arrays.copyOfRange(ids, i * maxLength, (i + 1) * maxLength);
                bm[k] = Arrays.copyOfRange(mask, i * maxLength, (i + 1) * maxLength);
            }
            float[] out = trimPadding ? encoder.encodeTrimmed(bi, bm) : encoder.encode(bi, bm);
            profiles.add(encoder.lastProfile());
            if (options.releaseAfterEncoding()) {
                releaseTextEncoder();
            }
            int per = maxLength * dim;
            Map<String, float[]> computed = new LinkedHashMap<>();
            for (int k = 0; k < rows.size(); k++) {
                int i = rows.get(k);
                float[] row = Arrays.copyOfRange(out, k * per, (k + 1) * per);
                EmbeddingCache disk = trimPadding ? diskCache : null;
                if (disk != null) {
                    disk.put(folder, variant(), pre.get(i), bi[k], bm[k], dim, row);
                }
                recent.put(keys[i], row);
                computed.put(keys[i], row);
            }
            for (int i : missing) {
                System.arraycopy(computed.get(keys[i]), 0, embeds, i * per, per);
            }
        }
        return new PromptEmbeddings(n, maxLength, dim, embeds, mask, ids, counts, truncated);
    }

    /** Which weights produced an embedding: the disk cache keeps 8-bit results apart from full-precision ones. */
    private String variant() {
        return options.int8() ? "int8" : "";
    }

    /** The row from the memory cache or (trimmed encodings only) the disk cache, or null. */
    private float[] cached(String key, String preprocessed, long[] ids, long[] mask) {
        float[] row = recent.get(key);
        if (row != null) {
            return row;
        }
        EmbeddingCache disk = trimPadding ? diskCache : null;
        row = disk == null ? null : disk.get(folder, variant(), preprocessed, ids, mask, dim);
        if (row != null) {
            recent.put(key, row);
        }
        return row;
    }

    /** Time splits of the T5 passes since the last call (one per encoder call; empty when everything came from the caches). */
    public List<T5Encoder.Profile> takeProfiles() {
        List<T5Encoder.Profile> p = List.copyOf(profiles);
        profiles.clear();
        return p;
    }

    @Override
    public void close() {
        releaseTextEncoder();
    }
}

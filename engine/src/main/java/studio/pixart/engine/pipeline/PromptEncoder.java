package studio.pixart.engine.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
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
    private final T5Encoder.LoadMode loadMode;
    private final EmbeddingCache diskCache;
    private final boolean trimPadding;
    private final T5Tokenizer tokenizer;
    private final int dim;
    private T5Encoder encoder;
    private final Map<String, float[]> recent = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
            return size() > MEMORY_ENTRIES;
        }
    };

    public PromptEncoder(PipelineFolder folder, Device device, DataType dtype, EmbeddingCache diskCache, boolean trimPadding) {
        this(folder, device, dtype, null, diskCache, trimPadding);
    }

    /** {@code loadMode}: how T5 holds its weights (null = T5's default for the device and dtypes). */
    public PromptEncoder(PipelineFolder folder, Device device, DataType dtype, T5Encoder.LoadMode loadMode,
                         EmbeddingCache diskCache, boolean trimPadding) {
        this.folder = folder;
        this.device = device;
        this.dtype = dtype;
        this.loadMode = loadMode;
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
            encoder = T5Encoder.load(folder.component("text_encoder"), device, dtype, loadMode);
        }
    }

    public void releaseTextEncoder() {
        if (encoder != null) {
            encoder.close();
            encoder = null;
        }
    }

    /** Encodes each text (one row each) at {@code maxLength} tokens. */
    public PromptEmbeddings encode(List<String> texts, int maxLength) {
        int n = texts.size();
        long[] ids = new long[n * maxLength];
        long[] mask = new long[n * maxLength];
        int[] counts = new int[n];
        boolean[] truncated = new boolean[n];
        float[] embeds = new float[n * maxLength * dim];
        List<String> pre = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = PromptText.preprocess(texts.get(i));
            pre.add(p);
            T5Tokenizer.Encoding e = tokenizer.encode(p, maxLength);
            System.arraycopy(e.inputIds(), 0, ids, i * maxLength, maxLength);
            System.arraycopy(e.attentionMask(), 0, mask, i * maxLength, maxLength);
            counts[i] = e.tokenCount();
            truncated[i] = e.truncated();
            float[] row = embed(p, e.inputIds(), e.attentionMask());
            System.arraycopy(row, 0, embeds, i * maxLength * dim, row.length);
        }
        return new PromptEmbeddings(n, maxLength, dim, embeds, mask, ids, counts, truncated);
    }

    private float[] embed(String preprocessed, long[] ids, long[] mask) {
        String key = (trimPadding ? "trim:" : "full:") + Arrays.toString(ids) + Arrays.toString(mask);
        float[] row = recent.get(key);
        if (row != null) {
            return row;
        }
        EmbeddingCache disk = trimPadding ? diskCache : null;
        row = disk == null ? null : disk.get(folder, preprocessed, ids, mask, dim);
        if (row == null) {
            loadTextEncoder();
            long[][] i = {ids};
            long[][] m = {mask};
            row = trimPadding ? encoder.encodeTrimmed(i, m) : encoder.encode(i, m);
            if (disk != null) {
                disk.put(folder, preprocessed, ids, mask, dim, row);
            }
        }
        recent.put(key, row);
        return row;
    }

    @Override
    public void close() {
        releaseTextEncoder();
    }
}

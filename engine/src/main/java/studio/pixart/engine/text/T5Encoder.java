package studio.pixart.engine.text;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import studio.pixart.engine.io.Checkpoint;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.nd.Activations;
import studio.pixart.engine.nd.Torch;

/**
 * transformers' {@code T5EncoderModel} (T5 v1.1, as used by PixArt): token embedding, {@code
 * num_layers} pre-norm blocks of self-attention and gated-GELU feed-forward, final RMSNorm. It
 * returns {@code last_hidden_state} (B, L, d_model) in float32.
 *
 * <p>What differs from a textbook transformer (and must be reproduced exactly): attention scores
 * are NOT scaled by 1/sqrt(d_kv); positions enter only through a learned relative-position bias
 * that block 0 owns and every block re-uses (bidirectional buckets: half per direction, exact
 * distances below a quarter of the buckets, log-spaced up to {@code max_distance}, then capped);
 * padding is an additive {@code (1 - mask) * finfo(dtype).min} on the keys; RMSNorm has no mean and
 * no bias and is computed in float32; the FFN is {@code wo(gelu_tanh(wi_0 x) * wi_1 x)}.
 *
 * <p><b>Weights and memory.</b> The real T5-XXL encoder has 4.7 B parameters (19 GB in float32,
 * 9.5 GB in float16/bfloat16). Two copies must never exist at once, so weights come from the
 * memory-mapped safetensors files ({@link Checkpoint}) in one of two modes:
 * <ul>
 *   <li>{@link LoadMode#EAGER}: every weight is resident in the compute dtype. When the file's dtype
 *       equals the compute dtype on the CPU this is zero-copy: the tensors wrap the mapped file and
 *       the OS pages them in on first use (RSS grows by the page cache of what is touched, never
 *       by a second copy). On a GPU the weights are uploaded once.</li>
 *   <li>{@link LoadMode#PER_LAYER}: only the final norm and the relative-position table (a few KB)
 *       are resident; each block's weights are read and converted from the mapped file when the
 *       block runs and freed right after it. Peak memory is about one block in the compute dtype
 *       (0.77 GB for XXL in float32) on top of the mapping. This is the mode for a float16/bfloat16
 *       checkpoint computed in float32 on the CPU, where EAGER would hold a converted 19 GB copy.</li>
 * </ul>
 * {@link #load(Path, Device, DataType)} chooses EAGER on a GPU or when no conversion is needed,
 * PER_LAYER otherwise. The embedding table is kept in the file's own dtype (float32/float16,
 * zero-copy) and only the gathered rows are converted.
 *
 * <p><b>float16.</b> T5 v1.1 overflows in float16. As transformers does, {@code wo} stays float32
 * (its input is cast up, and the residual stream is float32 from the first feed-forward on, by
 * type promotion), softmax runs in float32, and hidden states that are float16 are clamped to
 * ±(65504, or 64504 if an inf appeared) after the attention and feed-forward sub-layers.
 *
 * <p>Threading: call from one worker thread that ran {@link Torch#prepareThread()}. The pipeline
 * closes the encoder after encoding the prompts to give its memory back.
 */
public final class T5Encoder implements AutoCloseable {
    /** How block weights are held; see the class comment. */
    public enum LoadMode { EAGER, PER_LAYER }

    /**
     * Where the last {@link #encode} call spent its time: reading and converting weights (including
     * the embedding rows) versus computing, in seconds, the rows it encoded and the token positions it
     * computed over all rows.
     */
    public record Profile(double weightSeconds, double computeSeconds, int blocks, int batch, int positions) {
        public double totalSeconds() {
            return weightSeconds + computeSeconds;
        }
    }

    /** Called after each block with its output (tests compare to block_{i}_out; the benchmark times blocks). */
    interface BlockObserver {
        void blockDone(int index, NDArray hidden);
    }

    static final String SHARED = "shared.weight";
    static final String EMBED_TOKENS = "encoder.embed_tokens.weight";
    static final String RELATIVE_BIAS = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
    static final String FINAL_NORM = "encoder.final_layer_norm.weight";

    private static final float HALF_MAX = 65504f;
    /** Blocks read ahead of the one computing (~0.8 GB of bfloat16 pages for XXL, page cache, not heap). */
    private static final int PREFETCH_BLOCKS = 4;
    /**
     * Threads reading ahead, a block each: a disk (an SSD, a virtual disk) delivers far more with
     * several reads in flight (float32 shards from a cold cache, 20-token prompt: 1 thread 26 s,
     * 2 threads 20 s, 4 threads 16 s). They only wait on the disk and take no compute.
     */
    private static final int PREFETCH_THREADS = PREFETCH_BLOCKS;

    /** One block's weights, each (out, in) like torch.nn.Linear, norms (d_model). */
    private record Block(NDArray q, NDArray k, NDArray v, NDArray o, NDArray attnNorm,
                         NDArray wi0, NDArray wi1, NDArray wo, NDArray ffNorm) {}

    private final T5Config config;
    private final Device device;
    private final DataType dtype;
    private final LoadMode mode;
    private final Checkpoint checkpoint;   // open on the CPU (weights read per block, or mapped), null on a GPU
    private final NDManager weights;       // resident weights
    private final NDArray embedding;       // resident table (null in PER_LAYER mode)
    private final List<Block> blocks;      // resident blocks (null in PER_LAYER mode)
    private final NDArray finalNorm;
    private final float[] relativeBias;    // (num_buckets, num_heads), as stored
    private final boolean staged;          // PER_LAYER on the CPU in float32: blocks written into re-used tensors
    private volatile boolean closed;
    private Profile lastProfile;
    private java.util.concurrent.ExecutorService prefetcher;

    private T5Encoder(T5Config config, Device device, DataType dtype, LoadMode mode, Checkpoint checkpoint,
                      NDManager weights, NDArray embedding, List<Block> blocks, NDArray finalNorm, float[] relativeBias) {
        this.config = config;
        this.device = device;
        this.dtype = dtype;
        this.mode = mode;
        this.checkpoint = checkpoint;
        this.weights = weights;
        this.embedding = embedding;
        this.blocks = blocks;
        this.finalNorm = finalNorm;
        this.relativeBias = relativeBias;
        this.staged = mode == LoadMode.PER_LAYER && checkpoint != null && !device.isGpu() && dtype == DataType.FLOAT32
                && stageable(checkpoint, config);
    }

    /** Every block weight in a dtype {@link Checkpoint#loadInto} writes (bfloat16, float16, int8 with scales, float32). */
    private static boolean stageable(Checkpoint ck, T5Config c) {
        for (int i = 0; i < c.numLayers(); i++) {
            for (String n : blockNames(i)) {
                if (!Checkpoint.loadsInto(ck.info(n).dtype())) {
                    return false;
                }
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------
    // Loading

    /** Loads a text_encoder folder with the default mode (see the class comment). */
    public static T5Encoder load(Path textEncoderDir, Device device, DataType dtype) {
        return load(textEncoderDir, device, dtype, null);
    }

    /**
     * Loads {@code config.json} and the (possibly sharded) safetensors of a text_encoder folder.
     * {@code dtype} is FLOAT32 (CPU) or FLOAT16 (GPU; also runs on the CPU). {@code mode} null
     * chooses the default.
     */
    public static T5Encoder load(Path textEncoderDir, Device device, DataType dtype, LoadMode mode) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("T5 computes in float32 or float16, not " + dtype);
        }
        if (!Files.isDirectory(textEncoderDir)) {
            throw new ConfigException(textEncoderDir, "text encoder folder not found");
        }
        T5Config config = T5Config.load(textEncoderDir);
        Torch.engine();
        Checkpoint ck = Checkpoint.open(textEncoderDir);
        try {
            // transformers saves the tied table as shared.weight; other exporters as embed_tokens.
            ck.alias(SHARED, EMBED_TOKENS).alias(EMBED_TOKENS, SHARED);
            validate(ck, config);
            LoadMode m = mode != null ? mode : defaultMode(ck, config, device, dtype);
            float[] rel = ck.floats(RELATIVE_BIAS);
            NDManager w = Torch.engine().newBaseManager(device);
            try {
                NDArray fin = ck.load(FINAL_NORM, w, dtype);
                if (m == LoadMode.PER_LAYER) {
                    w.cap();
                    return new T5Encoder(config, device, dtype, m, ck, w, null, null, fin, rel);
                }
                NDArray table = ck.load(SHARED, w, gatherDtype(ck, dtype));
                List<Block> bl = new ArrayList<>();
                for (int i = 0; i < config.numLayers(); i++) {
                    bl.add(loadBlock(ck, i, w, dtype));
                }
                // An op that starts from a weight would put its result here: fail at once instead of leaking.
                w.cap();
                if (device.isGpu()) {
                    // Uploaded: the file handles are no longer needed.
                    ck.close();
                    return new T5Encoder(config, device, dtype, m, null, w, table, bl, fin, rel);
                }
                // On the CPU the blocks may wrap the mapped file: keep it open to read the next block ahead.
                return new T5Encoder(config, device, dtype, m, ck, w, table, bl, fin, rel);
            } catch (RuntimeException e) {
                w.close();
                throw e;
            }
        } catch (RuntimeException e) {
            ck.close();
            throw e;
        }
    }

    private static LoadMode defaultMode(Checkpoint ck, T5Config c, Device device, DataType dtype) {
        if (device.isGpu()) {
            return LoadMode.EAGER;
        }
        TensorDType want = dtype == DataType.FLOAT16 ? TensorDType.F16 : TensorDType.F32;
        for (int i = 0; i < c.numLayers(); i++) {
            for (String n : blockNames(i)) {
                TensorDType have = ck.info(n).dtype();
                boolean ok = n.endsWith(".wo.weight") ? have == TensorDType.F32 : have == want;
                if (!ok) {
                    return LoadMode.PER_LAYER;
                }
            }
        }
        return LoadMode.EAGER;
    }

    /** Every tensor must exist with the shape the config implies; a clear error names the first that does not. */
    private static void validate(Checkpoint ck, T5Config c) {
        long d = c.dModel();
        long inner = c.innerDim();
        ck.expectShape(SHARED, c.vocabSize(), d);
        ck.expectShape(RELATIVE_BIAS, c.numBuckets(), c.numHeads());
        ck.expectShape(FINAL_NORM, d);
        for (int i = 0; i < c.numLayers(); i++) {
            String[] n = blockNames(i);
            ck.expectShape(n[0], inner, d);
            ck.expectShape(n[1], inner, d);
            ck.expectShape(n[2], inner, d);
            ck.expectShape(n[3], d, inner);
            ck.expectShape(n[4], d);
            ck.expectShape(n[5], c.dFf(), d);
            ck.expectShape(n[6], c.dFf(), d);
            ck.expectShape(n[7], d, c.dFf());
            ck.expectShape(n[8], d);
        }
    }

    static String[] blockNames(int i) {
        String p = "encoder.block." + i + ".layer.";
        return new String[] {
            p + "0.SelfAttention.q.weight", p + "0.SelfAttention.k.weight", p + "0.SelfAttention.v.weight",
            p + "0.SelfAttention.o.weight", p + "0.layer_norm.weight",
            p + "1.DenseReluDense.wi_0.weight", p + "1.DenseReluDense.wi_1.weight",
            p + "1.DenseReluDense.wo.weight", p + "1.layer_norm.weight"};
    }

    private static Block loadBlock(Checkpoint ck, int i, NDManager m, DataType dtype) {
        String[] n = blockNames(i);
        return new Block(ck.load(n[0], m, dtype), ck.load(n[1], m, dtype), ck.load(n[2], m, dtype),
                ck.load(n[3], m, dtype), ck.load(n[4], m, dtype), ck.load(n[5], m, dtype), ck.load(n[6], m, dtype),
                ck.load(n[7], m, DataType.FLOAT32), // transformers' _keep_in_fp32_modules = ["wo"]
                ck.load(n[8], m, dtype));
    }

    /** Uninitialised tensors shaped like one block's weights (wo always float32), to be filled by {@link #fillBlock}. */
    private Block newBlock(NDManager m, DataType dt) {
        long d = config.dModel();
        long inner = config.innerDim();
        long ff = config.dFf();
        return new Block(m.create(new Shape(inner, d), dt), m.create(new Shape(inner, d), dt), m.create(new Shape(inner, d), dt),
                m.create(new Shape(d, inner), dt), m.create(new Shape(d), dt), m.create(new Shape(ff, d), dt),
                m.create(new Shape(ff, d), dt), m.create(new Shape(d, ff), DataType.FLOAT32), m.create(new Shape(d), dt));
    }

    /** Overwrites {@code into} with block {@code i}'s weights as float32 (widened, dequantized or copied). */
    private static Block fillBlock(Checkpoint ck, int i, Block into) {
        String[] n = blockNames(i);
        NDArray[] t = {into.q(), into.k(), into.v(), into.o(), into.attnNorm(), into.wi0(), into.wi1(), into.wo(), into.ffNorm()};
        for (int j = 0; j < n.length; j++) {
            if (!ck.loadInto(n[j], t[j])) {
                throw new IllegalStateException(n[j] + " is stored as " + ck.info(n[j]).dtype() + ", which the staged path cannot write");
            }
        }
        return into;
    }

    /** The table stays in the file's dtype when libtorch can read it without a copy; rows are converted after the lookup. */
    private static DataType gatherDtype(Checkpoint ck, DataType compute) {
        return switch (ck.info(SHARED).dtype()) {
            case F32 -> DataType.FLOAT32;
            case F16 -> DataType.FLOAT16;
            default -> compute;
        };
    }

    /**
     * An encoder with seeded random weights held in memory (nothing on disk), for benchmarks at
     * real widths: linear weights randn/sqrt(fan_in), norm gains 1 + 0.2 randn, table randn.
     */
    static T5Encoder random(T5Config c, Device device, DataType dtype, long seed) {
        Torch.prepareThread();
        Torch.seed(seed);
        NDManager w = Torch.engine().newBaseManager(device);
        try {
            long d = c.dModel();
            long inner = c.innerDim();
            NDArray table = randomWeight(w, new Shape(c.vocabSize(), d), 1.0, dtype);
            List<Block> bl = new ArrayList<>();
            for (int i = 0; i < c.numLayers(); i++) {
                bl.add(new Block(randomWeight(w, new Shape(inner, d), d, dtype), randomWeight(w, new Shape(inner, d), d, dtype),
                        randomWeight(w, new Shape(inner, d), d, dtype), randomWeight(w, new Shape(d, inner), inner, dtype),
                        randomGain(w, d, dtype), randomWeight(w, new Shape(c.dFf(), d), d, dtype),
                        randomWeight(w, new Shape(c.dFf(), d), d, dtype),
                        randomWeight(w, new Shape(d, c.dFf()), c.dFf(), DataType.FLOAT32), randomGain(w, d, dtype)));
            }
            NDArray fin = randomGain(w, d, dtype);
            Random r = new Random(seed);
            float[] rel = new float[c.numBuckets() * c.numHeads()];
            for (int i = 0; i < rel.length; i++) {
                rel[i] = (float) r.nextGaussian();
            }
            w.cap();
            return new T5Encoder(c, device, dtype, LoadMode.EAGER, null, w, table, bl, fin, rel);
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    private static NDArray randomWeight(NDManager m, Shape shape, double fanIn, DataType dtype) {
        NDArray a = m.randomNormal(shape).muli((float) (1 / Math.sqrt(fanIn)));
        return toTypeClosing(a, dtype);
    }

    private static NDArray randomGain(NDManager m, long d, DataType dtype) {
        return toTypeClosing(m.randomNormal(new Shape(d)).muli(0.2f).addi(1f), dtype);
    }

    private static NDArray toTypeClosing(NDArray a, DataType dtype) {
        if (a.getDataType() == dtype) {
            return a;
        }
        NDArray b = a.toType(dtype, true);
        a.close();
        return b;
    }

    public T5Config config() {
        return config;
    }

    public DataType dtype() {
        return dtype;
    }

    public LoadMode mode() {
        return mode;
    }

    /** True when each block's weights are written into re-used float32 tensors (see {@link Checkpoint#loadInto}). */
    boolean staged() {
        return staged;
    }

    // ------------------------------------------------------------------------------------------
    // Encoding

    /** last_hidden_state (B, L, d_model) float32 as a row-major Java array. */
    public float[] encode(long[][] inputIds, long[][] attentionMask) {
        try (NDManager m = Torch.newManager()) {
            return encode(m, inputIds, attentionMask).toFloatArray();
        }
    }

    /** last_hidden_state (B, L, d_model) float32, attached to {@code out} (and on its device). */
    public NDArray encode(NDManager out, long[][] inputIds, long[][] attentionMask) {
        return encode(out, inputIds, attentionMask, null);
    }

    NDArray encode(NDManager out, long[][] inputIds, long[][] attentionMask, BlockObserver observer) {
        checkOpen();
        checkInputs(inputIds, attentionMask);
        return encodeGroups(out, List.of(new Group(inputIds, attentionMask)), observer).get(0);
    }

    /** Rows of one length, computed together; groups of other lengths share each block's weights, not its matmuls. */
    private record Group(long[][] ids, long[][] mask) {
        int length() {
            return ids[0].length;
        }
    }

    /**
     * One pass over the blocks for every group: each block's weights are read once and applied to
     * each group in turn. Returns last_hidden_state per group (rows, length, d_model) float32 in
     * {@code out}. The observer (tests, benchmark) sees the first group only.
     */
    private List<NDArray> encodeGroups(NDManager out, List<Group> groups, BlockObserver observer) {
        long start = System.nanoTime();
        long weightNanos = 0;
        if (checkpoint != null) {
            for (int i = 0; i < Math.min(PREFETCH_BLOCKS, config.numLayers()); i++) {
                prefetch(i);
            }
        }
        int rows = 0;
        int positions = 0;
        try (NDManager call = Torch.engine().newBaseManager(device)) {
            long t = System.nanoTime();
            int g = groups.size();
            NDArray[] h = new NDArray[g];
            NDArray[] bias = new NDArray[g];
            for (int k = 0; k < g; k++) {
                Group gr = groups.get(k);
                h[k] = embed(call, gr.ids());
                rows += gr.ids().length;
                positions += gr.ids().length * gr.length();
            }
            // Blocks are written into one set of float32 tensors re-used for every block (see Checkpoint.loadInto).
            Block staging = blocks == null && staged ? newBlock(call, DataType.FLOAT32) : null;
            weightNanos += System.nanoTime() - t;
            for (int k = 0; k < g; k++) {
                Group gr = groups.get(k);
                bias[k] = attentionBias(call, gr.mask(), gr.ids().length, gr.length());
            }
            for (int i = 0; i < config.numLayers(); i++) {
                NDArray[] previous = h.clone();
                try (NDManager layer = call.newSubManager()) {
                    if (checkpoint != null && i + PREFETCH_BLOCKS < config.numLayers()) {
                        // The next blocks' pages are read while this one computes, so the disk never waits for the CPU.
                        prefetch(i + PREFETCH_BLOCKS);
                    }
                    t = System.nanoTime();
                    Block w = blocks != null ? blocks.get(i)
                            : staging != null ? fillBlock(checkpoint, i, staging) : loadBlock(checkpoint, i, layer, dtype);
                    weightNanos += System.nanoTime() - t;
                    for (int k = 0; k < g; k++) {
                        // Every intermediate of the block lands in `layer` (ops follow their first input) and is freed with it.
                        h[k].tempAttach(layer);
                        NDArray next = block(h[k], w, bias[k]);
                        next.attach(call);
                        h[k] = next;
                    }
                }
                for (NDArray p : previous) {
                    p.close();
                }
                if (observer != null) {
                    observer.blockDone(i, h[0]);
                }
            }
            List<NDArray> results = new ArrayList<>();
            for (int k = 0; k < g; k++) {
                NDArray y = rmsNorm(h[k], finalNorm).toType(DataType.FLOAT32, false);
                if (!y.getDevice().equals(out.getDevice())) {
                    y = y.toDevice(out.getDevice(), false);
                }
                y.attach(out);
                results.add(y);
            }
            double total = (System.nanoTime() - start) / 1e9;
            lastProfile = new Profile(weightNanos / 1e9, total - weightNanos / 1e9, config.numLayers(), rows, positions);
            return results;
        }
    }

    /** Time split of the last encode call, or null before the first. */
    public Profile lastProfile() {
        return lastProfile;
    }

    /** {@code shared.weight[ids]} (B, L, d_model) in the compute dtype, in {@code m}. */
    NDArray embed(NDManager m, long[][] inputIds) {
        int batch = inputIds.length;
        int len = inputIds[0].length;
        long[] flat = new long[batch * len];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(inputIds[b], 0, flat, b * len, len);
        }
        if (embedding != null) {
            return lookup(m.create(flat, new Shape(batch, len)), embedding);
        }
        // Only the prompt's rows of the (vocab × d_model) table are read and converted.
        return checkpoint.loadRows(SHARED, flat, m, dtype).reshape(batch, len, config.dModel());
    }

    /** Reads block {@code i}'s weights ahead on a prefetch thread (page reads only; no tensors there). */
    private void prefetch(int i) {
        if (prefetcher == null) {
            prefetcher = java.util.concurrent.Executors.newFixedThreadPool(PREFETCH_THREADS, r -> {
                Thread th = new Thread(r, "pixart-t5-prefetch");
                th.setDaemon(true);
                return th;
            });
        }
        String[] names = blockNames(i);
        prefetcher.execute(() -> {
            try {
                checkpoint.prefetch(names);
            } catch (RuntimeException e) {
                // Closed while reading ahead (the encoder was released): the pages are no longer wanted.
                if (!closed) {
                    throw e;
                }
            }
        });
    }

    /** The lookup's result belongs to the ids' manager (libtorch's embedding, first argument = indices). */
    private NDArray lookup(NDArray ids, NDArray table) {
        NDArray rows = JniUtils.embedding((PtNDArray) ids, (PtNDArray) table, false);
        return toTypeClosing(rows, dtype);
    }

    /** Block-0 relative bias (1, H, L, L) plus the additive key mask (B, 1, 1, L): (B, H, L, L) in the compute dtype. */
    NDArray attentionBias(NDManager m, long[][] mask, int batch, int len) {
        NDArray pos = m.create(positionBias(len, len), new Shape(1, config.numHeads(), len, len));
        float min = dtype == DataType.FLOAT16 ? -HALF_MAX : -Float.MAX_VALUE; // torch.finfo(dtype).min
        float[] add = new float[batch * len];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < len; j++) {
                add[b * len + j] = (1 - mask[b][j]) * min;
            }
        }
        NDArray keys = toTypeClosing(m.create(add, new Shape(batch, 1, 1, len)), dtype);
        return toTypeClosing(pos, dtype).add(keys);
    }

    /** Unmasked block-0 bias (H, Lq, Lk) row-major: bias[h][i][j] = table[bucket(j - i)][h]. */
    float[] positionBias(int queryLength, int keyLength) {
        int heads = config.numHeads();
        int span = queryLength + keyLength - 1;
        int[] bucketOf = new int[span]; // index (j - i) + queryLength - 1
        for (int r = 0; r < span; r++) {
            bucketOf[r] = relativeBucket(r - (queryLength - 1), config.numBuckets(), config.maxDistance());
        }
        float[] out = new float[heads * queryLength * keyLength];
        for (int hd = 0; hd < heads; hd++) {
            for (int i = 0; i < queryLength; i++) {
                int base = (hd * queryLength + i) * keyLength;
                for (int j = 0; j < keyLength; j++) {
                    out[base + j] = relativeBias[bucketOf[j - i + queryLength - 1] * heads + hd];
                }
            }
        }
        return out;
    }

    /**
     * T5's bidirectional bucket of {@code rel = key - query}: keys to the right use the upper half.
     * Within a half, distances below maxExact are their own bucket; larger ones are log-spaced up to
     * maxDistance and capped at the half's last bucket. Computed in float32 like the reference, whose
     * boundaries (powers of two) are exact in float.
     */
    static int relativeBucket(int rel, int numBuckets, int maxDistance) {
        int half = numBuckets / 2;
        int bucket = rel > 0 ? half : 0;
        int n = Math.abs(rel);
        int maxExact = half / 2;
        if (n < maxExact) {
            return bucket + n;
        }
        float ratio = (float) n / maxExact;
        float scaled = (float) Math.log(ratio) / (float) Math.log((double) maxDistance / maxExact) * (half - maxExact);
        return bucket + Math.min(maxExact + (int) scaled, half - 1);
    }

    /** One T5 block: pre-norm self-attention and pre-norm gated-GELU feed-forward, each with a residual. */
    private NDArray block(NDArray h, Block w, NDArray bias) {
        NDArray attn = selfAttention(rmsNorm(h, w.attnNorm()), w, bias);
        h = clampHalf(residual(h, attn));
        NDArray ff = feedForward(rmsNorm(h, w.ffNorm()), w);
        return clampHalf(residual(h, ff));
    }

    private NDArray selfAttention(NDArray x, Block w, NDArray bias) {
        long batch = x.getShape().get(0);
        long len = x.getShape().get(1);
        int heads = config.numHeads();
        NDArray q = heads(linear(x, w.q()), batch, len);
        NDArray k = heads(linear(x, w.k()), batch, len);
        NDArray v = heads(linear(x, w.v()), batch, len);
        // No 1/sqrt(d_kv): T5 folds the scale into its initialisation.
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).add(bias);
        NDArray probs = dtype == DataType.FLOAT32
                ? scores.softmax(-1)
                : JniUtils.softmax((PtNDArray) scores, -1, DataType.FLOAT32).toType(dtype, false);
        NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, len, config.innerDim());
        return linear(ctx, w.o());
    }

    private NDArray heads(NDArray x, long batch, long len) {
        return x.reshape(batch, len, config.numHeads(), config.dKv()).transpose(0, 2, 1, 3);
    }

    /** wo(gelu_tanh(wi_0 x) * wi_1 x); the product is cast to wo's dtype (float32 in float16 mode). */
    private NDArray feedForward(NDArray x, Block w) {
        NDArray gated = Activations.geluTanh(linear(x, w.wi0())).mul(linear(x, w.wi1()));
        return linear(gated.toType(w.wo().getDataType(), false), w.wo());
    }

    /** T5LayerNorm: x / sqrt(mean(x^2) + eps) in float32, cast to the gain's dtype, times the gain. */
    private NDArray rmsNorm(NDArray h, NDArray gain) {
        NDArray h32 = h.toType(DataType.FLOAT32, false);
        NDArray variance = h32.square().mean(new int[] {-1}, true);
        NDArray normed = h32.div(variance.add((float) config.layerNormEps()).sqrt());
        return normed.toType(gain.getDataType(), false).mul(gain);
    }

    /** Residual add with torch's type promotion: a float32 stream stays float32. */
    private static NDArray residual(NDArray h, NDArray delta) {
        if (h.getDataType() == delta.getDataType()) {
            return h.add(delta);
        }
        return h.toType(DataType.FLOAT32, false).add(delta.toType(DataType.FLOAT32, false));
    }

    /** transformers' float16 guard: clamp to the largest finite half (minus 1000 once an inf appeared). */
    private static NDArray clampHalf(NDArray h) {
        if (h.getDataType() != DataType.FLOAT16) {
            return h;
        }
        boolean anyInf = h.isInfinite().any().getBoolean();
        float c = anyInf ? HALF_MAX - 1000 : HALF_MAX;
        return h.clip(-c, c);
    }

    private static NDArray linear(NDArray x, NDArray weight) {
        return Linear.linear(x, weight).singletonOrThrow();
    }

    // ------------------------------------------------------------------------------------------
    // Exact shortcut for right-padded prompts

    /**
     * Like {@link #encode(NDManager, long[][], long[][])}, but computes each row only over its own
     * valid prefix and pads the output back to L with zeros. With a right-padded mask the valid
     * tokens never see the padding (their keys get finfo.min, whose softmax weight is exactly 0), so
     * every unmasked position matches the full computation up to float rounding; padded positions
     * differ, but PixArt's cross-attention masks them out. A 20-token prompt at max length 300 then
     * costs ~1/15 of the linear work and ~1/225 of the attention scores, and the empty negative
     * prompt of a CFG pass costs one position instead of the prompt's length (rows of equal length
     * are batched; all rows share one read of the weights). Masks with holes (or an all-zero row) go
     * through the full path.
     */
    public NDArray encodeTrimmed(NDManager out, long[][] inputIds, long[][] attentionMask) {
        checkOpen();
        int len = checkInputs(inputIds, attentionMask);
        int[] lengths = rowLengths(attentionMask);
        if (lengths == null || java.util.Arrays.stream(lengths).allMatch(n -> n == len)) {
            return encode(out, inputIds, attentionMask);
        }
        // Rows grouped by valid length, in order of first appearance.
        java.util.Map<Integer, List<Integer>> byLength = new java.util.LinkedHashMap<>();
        for (int b = 0; b < lengths.length; b++) {
            byLength.computeIfAbsent(lengths[b], k -> new ArrayList<>()).add(b);
        }
        List<Group> groups = new ArrayList<>();
        for (var e : byLength.entrySet()) {
            int keep = e.getKey();
            List<Integer> rows = e.getValue();
            long[][] ids = new long[rows.size()][];
            long[][] mask = new long[rows.size()][];
            for (int r = 0; r < rows.size(); r++) {
                ids[r] = java.util.Arrays.copyOf(inputIds[rows.get(r)], keep);
                mask[r] = java.util.Arrays.copyOf(attentionMask[rows.get(r)], keep);
            }
            groups.add(new Group(ids, mask));
        }
        try (NDManager tmp = out.newSubManager()) {
            List<NDArray> heads = encodeGroups(tmp, groups, null);
            NDArray[] rowsOut = new NDArray[inputIds.length];
            int k = 0;
            for (var e : byLength.entrySet()) {
                int keep = e.getKey();
                NDArray head = heads.get(k++);
                if (keep < len) {
                    NDArray pad = tmp.zeros(new Shape(e.getValue().size(), len - keep, config.dModel()), DataType.FLOAT32);
                    head = head.concat(pad, 1);
                }
                for (int r = 0; r < e.getValue().size(); r++) {
                    rowsOut[e.getValue().get(r)] = head.get(r);
                }
            }
            NDArray y = ai.djl.ndarray.NDArrays.stack(new ai.djl.ndarray.NDList(rowsOut));
            y.attach(out);
            return y;
        }
    }

    /** float[] variant of {@link #encodeTrimmed(NDManager, long[][], long[][])}. */
    public float[] encodeTrimmed(long[][] inputIds, long[][] attentionMask) {
        try (NDManager m = Torch.newManager()) {
            return encodeTrimmed(m, inputIds, attentionMask).toFloatArray();
        }
    }

    /**
     * Positions {@link #encodeTrimmed} computes for the longest row: its valid prefix when every row
     * is right-padded (ones, then zeros, at least one 1), otherwise the full length L.
     */
    public static int computedLength(long[][] attentionMask) {
        int[] lengths = rowLengths(attentionMask);
        return lengths == null ? attentionMask[0].length : java.util.Arrays.stream(lengths).max().orElseThrow();
    }

    /**
     * Each row's valid prefix when every row is right-padded (ones, then zeros, at least one 1);
     * null when a row has a hole or no valid key (the reference then attends uniformly over all L
     * positions), which needs the full path.
     */
    static int[] rowLengths(long[][] attentionMask) {
        int[] lengths = new int[attentionMask.length];
        for (int b = 0; b < attentionMask.length; b++) {
            long[] row = attentionMask[b];
            int n = 0;
            while (n < row.length && row[n] == 1) {
                n++;
            }
            for (int j = n; j < row.length; j++) {
                if (row[j] != 0) {
                    return null;
                }
            }
            if (n == 0) {
                return null;
            }
            lengths[b] = n;
        }
        return lengths;
    }

    private int checkInputs(long[][] ids, long[][] mask) {
        if (ids == null || mask == null || ids.length == 0 || ids.length != mask.length) {
            throw new IllegalArgumentException("input_ids and attention_mask need the same batch size >= 1");
        }
        int len = ids[0].length;
        if (len == 0) {
            throw new IllegalArgumentException("empty token sequence");
        }
        for (int b = 0; b < ids.length; b++) {
            if (ids[b].length != len || mask[b].length != len) {
                throw new IllegalArgumentException("row " + b + ": input_ids/attention_mask must all have length " + len);
            }
            for (int j = 0; j < len; j++) {
                if (ids[b][j] < 0 || ids[b][j] >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + ids[b][j] + " at [" + b + "][" + j
                            + "] is outside the embedding table (vocab_size " + config.vocabSize() + ")");
                }
                if (mask[b][j] != 0 && mask[b][j] != 1) {
                    throw new IllegalArgumentException("attention_mask[" + b + "][" + j + "] = " + mask[b][j] + ", expected 0 or 1");
                }
            }
        }
        return len;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("T5 encoder was closed");
        }
    }

    /** Frees every weight (and the file mappings in PER_LAYER mode). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (prefetcher != null) {
            prefetcher.shutdownNow();
        }
        weights.close();
        if (checkpoint != null) {
            checkpoint.close();
        }
    }
}

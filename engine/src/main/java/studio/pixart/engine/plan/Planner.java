package studio.pixart.engine.plan;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.text.T5Encoder;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.vae.TiledVae;

/**
 * Decides, once per job and before any work, where each component runs, in which precision, with
 * which memory options, and whether the job fits at all; {@link ExecutionPlan} holds the answer.
 *
 * <h2>1. Decisions</h2>
 * <ul>
 *   <li>GPU (when libtorch sees one, unless {@code --device cpu}): the transformer in float16. T5-XXL
 *       in float16 (its {@code wo} in float32, hidden states clamped) on the GPU only when it fits
 *       there next to the transformer and the VAE; otherwise on the CPU in float32, as the
 *       reference advises for 12–24 GB cards. The VAE in float32, or in {@link MemoryMode#LOW} in
 *       float16 with a float32 retry when it overflows. Attention chunks and VAE tiles are sized from
 *       the GPU's free memory. A job that does not fit the GPU runs on the CPU when the device was
 *       automatic (and says so), and is refused under {@code --device cuda}.</li>
 *   <li>CPU: everything in float32 (float16 matmul is ~10× slower on a CPU); attention chunks and
 *       VAE tiles from the memory mode, capped by RAM; T5 mapped from its files or read block by block
 *       ({@link MemoryMode}).</li>
 *   <li>{@code --device}, {@code --dtype} and {@code --memory} override the automatic choices.</li>
 * </ul>
 *
 * <h2>2. Estimates</h2>
 * Per component, weights (parameters × the dtype's bytes; weights whose file dtype is the compute
 * dtype on the CPU are the mapped file, not a copy) and the largest working memory:
 * <ul>
 *   <li>transformer: the larger of a block's end ({@value #TOKEN_ACTIVATIONS} token-wide tensors,
 *       B'·N·D each, B' = batch × 2 with CFG, N image tokens, D hidden width: the block scope keeps
 *       every intermediate until the block ends) and its self-attention
 *       ({@value #ATTENTION_PHASE_TOKENS} token-wide tensors plus {@value #SCORE_COPIES} copies of a
 *       score chunk — scores, scaled, probabilities; float16 adds the float32 softmax — a chunk being
 *       at most the attention budget), plus {@value #XL_BLOCK_WORKSPACE} bytes × (D/1152)² of
 *       transient weight copies. Fitted to one CFG forward of XL-width blocks on the CPU (peak RSS
 *       added by the forward: 0.875 GB at 512 px, 2.71 GB at 1024 px with a 512 MB budget and
 *       2.69 GB with 128 MB: the block's end dominates, not the score chunks);</li>
 *   <li>T5: one block converted (per-block mode) or all weights (copied), and a prompt's activations;</li>
 *   <li>VAE: {@link TiledVae#planDecode}'s estimate for the tile it will choose (calibrated there),
 *       for the poster path also the tiled encode;</li>
 *   <li>Java heap: the decoded image, its resized copies and the export buffer (a poster holds the
 *       work-size and target-size images in several forms at once);</li>
 *   <li>process: {@value #BASELINE_BYTES} bytes of JVM, libtorch and code.</li>
 * </ul>
 * The peak is the largest phase (text, denoise, decode) on top of the weights that stay resident.
 * Calibrated against measured peak RSS (README, performance section).
 */
public final class Planner {
    static final long BASELINE_BYTES = 400_000_000L;
    /** Token-wide tensors alive at a block's peak (its end, after the feed-forward); fitted, see the class comment. */
    static final double TOKEN_ACTIVATIONS = 65;
    /** Token-wide tensors alive while the self-attention's score chunks exist. */
    static final double ATTENTION_PHASE_TOKENS = 30;
    static final double SCORE_COPIES = 3;
    /** Transient weight copies and workspaces of an XL-width (1152) block, scaled with D². */
    static final double XL_BLOCK_WORKSPACE = 263e6;
    /** CUDA context, cuBLAS/cuDNN workspaces. */
    static final long GPU_RESERVE_BYTES = 700_000_000L;
    /** libtorch's caching allocator rounds and keeps blocks: estimates on the GPU are scaled by this. */
    static final double GPU_ALLOCATOR_SLACK = 1.15;
    /** Java arrays need heap headroom for the collector. */
    static final double HEAP_HEADROOM = 1.3;
    static final long MIN_ATTENTION_BUDGET = 32L << 20;

    private Planner() {}

    /** The user's choices: null or "auto" leaves a choice to the planner. */
    public record Overrides(String device, String dtype, String memory) {
        public static Overrides auto() {
            return new Overrides("auto", "auto", "auto");
        }
    }

    /** Plans {@code job} for {@code model} on {@code machine}. Never throws for a job that does not fit: see {@link ExecutionPlan#fits()}. */
    public static ExecutionPlan plan(ModelSpec model, JobSpec job, MachineInfo machine, Overrides overrides) {
        Overrides o = overrides == null ? Overrides.auto() : overrides;
        MemoryMode forced = MemoryMode.parse(o.memory());
        MemoryMode mode = forced != null ? forced : MemoryMode.auto(machine.ramTotalBytes());
        String modeReason = forced != null ? "--memory " + forced.label() : MemoryMode.autoReason(machine.ramTotalBytes());
        String dev = o.device() == null ? "auto" : o.device().toLowerCase(Locale.ROOT);
        DataType dtypeOverride = parseDtype(o.dtype());
        boolean gpu = useGpu(o.device(), machine.hasGpu(), machine.gpu());
        List<String> notes = new ArrayList<>();
        if (gpu) {
            ExecutionPlan p = evaluate(model, job, machine, gpuDecisions(model, machine, mode, dtypeOverride, notes), mode, modeReason, notes);
            if (p.peak().gpuBytes() <= machine.gpuFreeBytes() || !dev.equals("auto")) {
                if (p.peak().gpuBytes() > machine.gpuFreeBytes()) {
                    return refuse(p, "needs ~" + ExecutionPlan.gb(p.peak().gpuBytes()) + " of GPU memory ("
                            + p.peak().gpuPhase() + "), the GPU has " + ExecutionPlan.gb(machine.gpuFreeBytes()) + " free",
                            advice(model, job, machine, o, p, true));
                }
                return checkHost(model, job, machine, o, p);
            }
            notes = new ArrayList<>();
            notes.add("the job needs ~" + ExecutionPlan.gb(p.peak().gpuBytes()) + " of GPU memory, the GPU has "
                    + ExecutionPlan.gb(machine.gpuFreeBytes()) + " free: running on the CPU");
        } else if (dev.equals("cpu") && machine.hasGpu()) {
            notes.add("--device cpu: the GPU is not used");
        }
        ExecutionPlan p = evaluate(model, job, machine, cpuDecisions(model, machine, mode, dtypeOverride, notes), mode, modeReason, notes);
        return checkHost(model, job, machine, o, p);
    }

    // ------------------------------------------------------------------------------------------
    // 1. Decisions

    /** What is decided before the job's size matters (it fixes how the pipeline is loaded). */
    record Decisions(Device device, DataType dtype, Device t5Device, DataType t5Dtype, T5Encoder.LoadMode t5Mode,
                     boolean releaseT5, DataType vaeDtype, boolean vaeRetry, long attentionBudget,
                     TiledVae.TileOptions vaeTiles) {}

    private static Decisions gpuDecisions(ModelSpec m, MachineInfo mc, MemoryMode mode, DataType dtypeOverride,
                                          List<String> notes) {
        DataType dtype = dtypeOverride != null ? dtypeOverride : DataType.FLOAT16;
        DataType vaeDtype = mode.vaeFloat16OnGpu ? DataType.FLOAT16 : DataType.FLOAT32;
        long free = mc.gpuFreeBytes();
        long trW = m.transformerParams() * bytes(dtype);
        long vaeW = m.vaeParams() * bytes(vaeDtype);
        long room = Math.max(0, free - GPU_RESERVE_BYTES - trW - vaeW);
        long attention = clamp(room / 8, 64L << 20, 2L << 30);
        long tiles = clamp(room / 4, 256L << 20, 6L << 30);
        long t5Gpu = t5GpuBytes(m, dtype);
        boolean t5OnGpu = m.t5() != null
                && (t5Gpu + trW + vaeW) * GPU_ALLOCATOR_SLACK + GPU_RESERVE_BYTES <= 0.9 * free;
        boolean keepT5 = !mode.releaseTextEncoder && t5OnGpu
                && (t5Gpu + trW + vaeW) * GPU_ALLOCATOR_SLACK + GPU_RESERVE_BYTES <= 0.6 * free;
        if (m.t5() != null) {
            notes.add(t5OnGpu ? "T5 on the GPU in float16 (wo in float32): " + ExecutionPlan.gb(t5Gpu) + " fits next to the transformer"
                    + (keepT5 ? "; kept loaded" : "; released after encoding")
                    : "T5 on the CPU: its " + ExecutionPlan.gb(t5Gpu) + " in float16 do not fit next to the transformer in "
                    + ExecutionPlan.gb(free) + " of free GPU memory; released after encoding, prompts stay cached");
        }
        if (vaeDtype == DataType.FLOAT16) {
            notes.add("VAE in float16 (memory low); a decode that overflows (NaN/Inf) is redone in float32");
        }
        T5Encoder.LoadMode t5Mode = t5OnGpu ? null : cpuT5Mode(m, mc, mode);
        return new Decisions(Device.gpu(), dtype, t5OnGpu ? Device.gpu() : Device.cpu(),
                t5OnGpu ? dtype : DataType.FLOAT32, t5Mode, !keepT5,
                vaeDtype, vaeDtype == DataType.FLOAT16, attention, TiledVae.TileOptions.budget(tiles));
    }

    private static Decisions cpuDecisions(ModelSpec m, MachineInfo mc, MemoryMode mode, DataType dtypeOverride,
                                          List<String> notes) {
        DataType dtype = dtypeOverride != null ? dtypeOverride : DataType.FLOAT32;
        if (dtype == DataType.FLOAT16) {
            notes.add("float16 on the CPU is correct but ~10× slower than float32 (no fast half-precision matmul)");
        }
        long ram = mc.ramTotalBytes() > 0 ? mc.ramTotalBytes() : 8L << 30;
        long attention = Math.min(mode.attentionBudgetBytes, Math.max(MIN_ATTENTION_BUDGET, ram / 32));
        long tiles = Math.min(mode.vaeTileBudgetBytes, Math.max(256L << 20, ram / 10));
        // The CPU's mid-block attention is quadratic in the tile area: above 1 MP always tile.
        TiledVae.TileOptions vaeTiles = TiledVae.TileOptions.budget(tiles).withMaxUntiledArea(128 * 128);
        T5Encoder.LoadMode t5Mode = cpuT5Mode(m, mc, mode);
        return new Decisions(Device.cpu(), dtype, Device.cpu(), dtype, t5Mode, mode.releaseTextEncoder,
                DataType.FLOAT32, false, attention, vaeTiles);
    }

    /** LOW reads T5 block by block; HIGH holds it converted when a third of the RAM allows; else T5's default. */
    private static T5Encoder.LoadMode cpuT5Mode(ModelSpec m, MachineInfo mc, MemoryMode mode) {
        if (m.t5() == null) {
            return null;
        }
        if (mode == MemoryMode.LOW) {
            return T5Encoder.LoadMode.PER_LAYER;
        }
        if (mode.t5Copied && m.t5Params() * 4 <= mc.ramTotalBytes() / 3) {
            return T5Encoder.LoadMode.EAGER;
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------
    // 2. Estimates

    static ExecutionPlan evaluate(ModelSpec m, JobSpec job, MachineInfo mc, Decisions d, MemoryMode mode, String modeReason,
                                  List<String> notes) {
        List<ExecutionPlan.Component> comps = new ArrayList<>();
        long residentHost = 0;
        long residentGpu = 0;
        long mapped = 0;
        long textHost = 0;
        long textGpu = 0;

        // T5
        if (m.t5() != null) {
            long act = t5ActivationBytes(m, job.textLength(), d.t5Dtype());
            long weights;
            boolean isMapped = false;
            long work = act;
            String note;
            if (d.t5Device().isGpu()) {
                weights = t5GpuBytes(m, d.t5Dtype());
                note = "float32 wo, clamped hidden states";
            } else {
                boolean perBlock = d.t5Mode() == T5Encoder.LoadMode.PER_LAYER
                        || (d.t5Mode() == null && !sameDtype(m.t5FileDtype(), d.t5Dtype()));
                if (perBlock) {
                    weights = 0;
                    work += m.t5BlockParams() * bytes(d.t5Dtype());
                    mapped += m.t5Params() * m.t5FileDtype().bytes;
                    note = "read block by block from the mapped files";
                } else if (sameDtype(m.t5FileDtype(), d.t5Dtype()) && d.t5Mode() != T5Encoder.LoadMode.EAGER) {
                    weights = m.t5Params() * bytes(d.t5Dtype());
                    isMapped = true;
                    note = "mapped from the files";
                } else {
                    weights = m.t5Params() * bytes(d.t5Dtype());
                    note = "converted and held in memory";
                }
            }
            note += d.releaseT5() ? "; released after encoding (prompt cache)" : "; kept loaded";
            comps.add(new ExecutionPlan.Component("text_encoder", label(d.t5Device()), ExecutionPlan.name(d.t5Dtype()),
                    weights, isMapped, work, note));
            if (d.t5Device().isGpu()) {
                textGpu += work + (d.releaseT5() ? weights : 0);
                residentGpu += d.releaseT5() ? 0 : weights;
            } else {
                if (isMapped) {
                    mapped += weights;
                    textHost += work;
                } else {
                    textHost += work + (d.releaseT5() ? weights : 0);
                    residentHost += d.releaseT5() ? 0 : weights;
                }
            }
        }

        // Transformer
        TransformerConfig tc = m.transformer();
        long trWeights = m.transformerParams() * bytes(d.dtype());
        boolean trMapped = !d.device().isGpu() && sameDtype(m.transformerFileDtype(), d.dtype());
        long trAct = transformerActivationBytes(tc, job, m.vaeScaleFactor(), d.attentionBudget(), d.dtype());
        comps.add(new ExecutionPlan.Component("transformer", label(d.device()), ExecutionPlan.name(d.dtype()), trWeights, trMapped,
                trAct, tokens(tc, job, m.vaeScaleFactor()) + " tokens × " + job.transformerBatch() + " rows"));
        if (d.device().isGpu()) {
            residentGpu += trWeights;
        } else if (trMapped) {
            mapped += trWeights;
        } else {
            residentHost += trWeights;
        }

        // VAE
        long decodeWork = 0;
        long heap = 0;
        if (m.vae() != null) {
            long vaeWeights = m.vaeParams() * bytes(d.vaeDtype());
            boolean vaeMapped = !d.device().isGpu() && sameDtype(m.vaeFileDtype(), d.vaeDtype());
            int f = m.vaeScaleFactor();
            int lh = job.genHeight() / f;
            int lw = job.genWidth() / f;
            String note = "";
            if (job.decode()) {
                TiledVae.Estimate dec = TiledVae.planDecode(m.vae(), 1, lh, lw, d.vaeTiles(), bytes(d.vaeDtype()));
                decodeWork = dec.workBytes() + (dec.tiled() ? 12L * job.genWidth() * job.genHeight() : 0);
                note = dec.tiled() ? "decode in " + dec.tileHeight() * f + "×" + dec.tileWidth() * f + " px tiles" : "decode untiled";
                if (job.poster()) {
                    TiledVae.Estimate enc = TiledVae.planEncode(m.vae(), 1, lh, lw, d.vaeTiles(), bytes(d.vaeDtype()));
                    decodeWork = Math.max(decodeWork, enc.workBytes());
                    note += enc.tiled() ? ", encode in " + enc.tileHeight() * f + "×" + enc.tileWidth() * f + " px tiles" : "";
                }
                heap = heapBytes(job);
            } else {
                // previews only (the benchmark): a small decode
                decodeWork = TiledVae.planDecode(m.vae(), 1, Math.min(lh, 64), Math.min(lw, 64), d.vaeTiles(),
                        bytes(d.vaeDtype())).workBytes();
                note = "previews";
            }
            if (d.vaeRetry()) {
                note += "; float32 retry on NaN/Inf";
            }
            comps.add(new ExecutionPlan.Component("vae", label(d.device()), ExecutionPlan.name(d.vaeDtype()), vaeWeights,
                    vaeMapped, decodeWork, note));
            if (d.device().isGpu()) {
                residentGpu += vaeWeights;
            } else if (vaeMapped) {
                mapped += vaeWeights;
            } else {
                residentHost += vaeWeights;
            }
        }

        long denoiseHost = d.device().isGpu() ? 0 : trAct;
        long denoiseGpu = d.device().isGpu() ? trAct : 0;
        long decodeHost = (d.device().isGpu() ? 0 : decodeWork) + heap;
        long decodeGpu = d.device().isGpu() ? decodeWork : 0;
        String hostPhase = phase(textHost, denoiseHost, decodeHost);
        long hostPeak = BASELINE_BYTES + residentHost + Math.max(textHost, Math.max(denoiseHost, decodeHost));
        long gpuPeak = 0;
        String gpuPhase = "";
        if (d.device().isGpu() || d.t5Device().isGpu()) {
            gpuPeak = GPU_RESERVE_BYTES + (long) (GPU_ALLOCATOR_SLACK
                    * (residentGpu + Math.max(textGpu, Math.max(denoiseGpu, decodeGpu))));
            gpuPhase = phase(textGpu, denoiseGpu, decodeGpu);
        }
        ExecutionPlan.Peak peak = new ExecutionPlan.Peak(hostPeak, mapped, heap, gpuPeak, hostPhase, gpuPhase);
        return new ExecutionPlan(d.device(), d.dtype(), d.t5Device(), d.t5Dtype(), d.t5Mode(), d.releaseT5(), d.vaeDtype(),
                d.vaeRetry(), d.attentionBudget(), d.vaeTiles(), mode, modeReason, mc, job, m, List.copyOf(comps), peak,
                List.copyOf(notes), null, null);
    }

    /** Image tokens of the job's largest pass. */
    static long tokens(TransformerConfig c, JobSpec job, int vaeScale) {
        long gh = job.genHeight() / vaeScale / c.patchSize();
        long gw = job.genWidth() / vaeScale / c.patchSize();
        return Math.max(1, gh) * Math.max(1, gw);
    }

    /** See the class comment: token-wide tensors of a block plus its largest chunk. */
    static long transformerActivationBytes(TransformerConfig c, JobSpec job, int vaeScale, long budget, DataType dtype) {
        double rows = job.transformerBatch();
        double n = tokens(c, job, vaeScale);
        double d = c.innerDim();
        int b = bytes(dtype);
        double token = rows * n * d * b;
        // self-attention scores: the lower half of the blocks is never compressed, so M = N there
        double scoreRow = rows * c.numHeads() * n * 4;
        double scoreRows = Math.max(1, Math.min(n, Math.floor(budget / scoreRow)));
        double scoreElems = rows * c.numHeads() * scoreRows * n;
        double scores = scoreElems * (SCORE_COPIES * b + (dtype == DataType.FLOAT16 ? 8 : 0));
        double workspace = XL_BLOCK_WORKSPACE * (d / 1152) * (d / 1152);
        return (long) (workspace + Math.max(TOKEN_ACTIVATIONS * token, ATTENTION_PHASE_TOKENS * token + scores));
    }

    static long t5ActivationBytes(ModelSpec m, int textLength, DataType dtype) {
        double l = textLength;
        return (long) (l * (2.0 * m.t5().dFf() + 6.0 * m.t5().dModel()) * 4 + 3.0 * m.t5().numHeads() * l * l * 4);
    }

    static long t5GpuBytes(ModelSpec m, DataType dtype) {
        if (m.t5() == null) {
            return 0;
        }
        return dtype == DataType.FLOAT16 ? (m.t5Params() - m.t5WoParams()) * 2 + m.t5WoParams() * 4 : m.t5Params() * 4;
    }

    /**
     * Java arrays: a generation keeps the decoded planar image per image plus the batch's VAE output,
     * then resizes (two copies at the delivered size) and converts (one per image), and the export
     * draws into a 4-byte-per-pixel buffer; a tiled decode adds its accumulator. A poster holds the
     * upscaled work image in three forms, the refined one, and the target in three forms.
     */
    static long heapBytes(JobSpec job) {
        long gen = (long) job.genWidth() * job.genHeight();
        long out = job.outWidth() > 0 ? (long) job.outWidth() * job.outHeight() : gen;
        double bytes;
        if (job.poster()) {
            bytes = 12.0 * gen * 5 + 12.0 * out * 3 + 8.0 * out;
        } else {
            bytes = 12.0 * gen * (job.batch() + 2) + 12.0 * out * (job.batch() + 2) + 4.0 * out;
        }
        return (long) bytes;
    }

    // ------------------------------------------------------------------------------------------
    // 3. Does it fit?

    private static ExecutionPlan checkHost(ModelSpec m, JobSpec job, MachineInfo mc, Overrides o, ExecutionPlan p) {
        long total = mc.ramTotalBytes();
        if (total > 0 && p.peak().hostBytes() > total) {
            return refuse(p, "needs ~" + ExecutionPlan.gb(p.peak().hostBytes()) + " of memory (" + p.peak().hostPhase()
                    + "), this machine has " + ExecutionPlan.gb(total), advice(m, job, mc, o, p, false));
        }
        if (mc.heapMaxBytes() > 0 && p.peak().heapBytes() * HEAP_HEADROOM > mc.heapMaxBytes()) {
            return refuse(p, "the image arrays need ~" + ExecutionPlan.gb((long) (p.peak().heapBytes() * HEAP_HEADROOM))
                    + " of Java heap, this process may use " + ExecutionPlan.gb(mc.heapMaxBytes()),
                    advice(m, job, mc, o, p, false) + (total > 0 && p.peak().hostBytes() <= total
                            ? "; or allow a larger heap (JAVA_TOOL_OPTIONS=-Xmx" + Math.max(1, (long) Math.ceil(
                                    p.peak().heapBytes() * HEAP_HEADROOM / 1e9 * 1.1)) + "g)" : ""));
        }
        if (mc.ramAvailableBytes() > 0 && p.peak().hostBytes() > mc.ramAvailableBytes()) {
            List<String> notes = new ArrayList<>(p.notes());
            notes.add("the estimate (" + ExecutionPlan.gb(p.peak().hostBytes()) + ") is more than the "
                    + ExecutionPlan.gb(mc.ramAvailableBytes()) + " available now: close other programs, or the system may swap");
            return withNotes(p, notes);
        }
        return p;
    }

    private static ExecutionPlan refuse(ExecutionPlan p, String refusal, String advice) {
        return new ExecutionPlan(p.device(), p.dtype(), p.textEncoderDevice(), p.textEncoderDtype(), p.textEncoderLoadMode(),
                p.releaseTextEncoder(), p.vaeDtype(), p.vaeFloat32Retry(), p.attentionBudgetBytes(), p.vaeTiles(), p.memoryMode(),
                p.memoryModeReason(), p.machine(), p.job(), p.model(), p.components(), p.peak(), p.notes(), refusal, advice);
    }

    private static ExecutionPlan withNotes(ExecutionPlan p, List<String> notes) {
        return new ExecutionPlan(p.device(), p.dtype(), p.textEncoderDevice(), p.textEncoderDtype(), p.textEncoderLoadMode(),
                p.releaseTextEncoder(), p.vaeDtype(), p.vaeFloat32Retry(), p.attentionBudgetBytes(), p.vaeTiles(), p.memoryMode(),
                p.memoryModeReason(), p.machine(), p.job(), p.model(), p.components(), p.peak(), List.copyOf(notes),
                p.refusal(), p.advice());
    }

    /** What would fit: the largest size of the same shape, fewer images, KV compression, the poster path, low memory. */
    private static String advice(ModelSpec m, JobSpec job, MachineInfo mc, Overrides o, ExecutionPlan p, boolean gpu) {
        List<String> tips = new ArrayList<>();
        int multiple = m.vaeScaleFactor() * m.transformer().patchSize();
        double lo = 0;
        double hi = 1;
        for (int i = 0; i < 30; i++) {
            double s = (lo + hi) / 2;
            JobSpec smaller = scaled(job, s, multiple);
            if (smaller != null && fitsQuietly(m, smaller, mc, o, gpu)) {
                lo = s;
            } else {
                hi = s;
            }
        }
        JobSpec best = lo > 0 ? scaled(job, lo, multiple) : null;
        if (best != null && fitsQuietly(m, best, mc, o, gpu)) {
            int w = job.outWidth() > 0 ? best.outWidth() : best.genWidth();
            int h = job.outWidth() > 0 ? best.outHeight() : best.genHeight();
            tips.add("a smaller size (about " + w + "×" + h + " fits)");
        } else {
            tips.add("a smaller size");
        }
        if (job.batch() > 1) {
            JobSpec one = new JobSpec(job.genWidth(), job.genHeight(), job.outWidth(), job.outHeight(), 1, job.cfg(),
                    job.textLength(), job.kvCompression(), job.poster(), job.decode());
            tips.add(fitsQuietly(m, one, mc, o, gpu) ? "one image at a time (fits)" : "fewer images");
        }
        if (!job.kvCompression()) {
            ExecutionPlan kv = quietPlan(m, job.withKvCompression(true), mc, o, gpu);
            if (kv.peak().hostBytes() < p.peak().hostBytes() * 0.95 || (gpu && kv.peak().gpuBytes() < p.peak().gpuBytes() * 0.95)) {
                tips.add("KV compression (--kv-compress on: ~" + ExecutionPlan.gb(gpu ? kv.peak().gpuBytes() : kv.peak().hostBytes()) + ")");
            }
        }
        int native_ = m.transformer().sampleSize() * m.vaeScaleFactor();
        if (!job.poster() && Math.max(job.outWidth(), job.outHeight()) > 1.5 * native_) {
            tips.add("the poster path for sizes above the model's " + native_ + " px (pixart poster: a base image refined at the target size)");
        }
        if (p.memoryMode() != MemoryMode.LOW && fitsQuietly(m, job, mc, new Overrides(o.device(), o.dtype(), "low"), gpu)) {
            tips.add("--memory low (fits)");
        }
        if (gpu) {
            tips.add("--device cpu (the CPU has " + ExecutionPlan.gb(mc.ramTotalBytes()) + " RAM)");
        }
        return "use " + String.join(" / ", tips);
    }

    private static JobSpec scaled(JobSpec job, double s, int multiple) {
        int w = (int) (Math.floor(job.genWidth() * s / multiple) * multiple);
        int h = (int) (Math.floor(job.genHeight() * s / multiple) * multiple);
        if (w < multiple || h < multiple) {
            return null;
        }
        if (job.outWidth() > 0) {
            int ow = (int) Math.floor(job.outWidth() * s / multiple) * multiple;
            int oh = (int) Math.floor(job.outHeight() * s / multiple) * multiple;
            if (ow < multiple || oh < multiple) {
                return null;
            }
            // a binned generation stays at its bin: only the delivered size shrinks
            boolean binned = job.genWidth() != job.outWidth() || job.genHeight() != job.outHeight();
            return new JobSpec(binned && !job.poster() ? job.genWidth() : w, binned && !job.poster() ? job.genHeight() : h,
                    ow, oh, job.batch(), job.cfg(), job.textLength(), job.kvCompression(), job.poster(), job.decode());
        }
        return job.withSize(w, h);
    }

    private static ExecutionPlan quietPlan(ModelSpec m, JobSpec job, MachineInfo mc, Overrides o, boolean gpu) {
        MemoryMode forced = MemoryMode.parse(o.memory());
        MemoryMode mode = forced != null ? forced : MemoryMode.auto(mc.ramTotalBytes());
        DataType dt = parseDtype(o.dtype());
        List<String> ignored = new ArrayList<>();
        Decisions d = gpu ? gpuDecisions(m, mc, mode, dt, ignored) : cpuDecisions(m, mc, mode, dt, ignored);
        return evaluate(m, job, mc, d, mode, "", ignored);
    }

    private static boolean fitsQuietly(ModelSpec m, JobSpec job, MachineInfo mc, Overrides o, boolean gpu) {
        ExecutionPlan p = quietPlan(m, job, mc, o, gpu);
        if (gpu && p.peak().gpuBytes() > mc.gpuFreeBytes()) {
            return false;
        }
        return (mc.ramTotalBytes() <= 0 || p.peak().hostBytes() <= mc.ramTotalBytes())
                && (mc.heapMaxBytes() <= 0 || p.peak().heapBytes() * HEAP_HEADROOM <= mc.heapMaxBytes());
    }

    // ------------------------------------------------------------------------------------------

    /** {@code --device}: auto = the GPU when one is usable; cuda without a usable GPU is an error saying why. */
    public static boolean useGpu(String device, boolean gpuUsable, GpuStatus status) {
        String dev = device == null ? "auto" : device.toLowerCase(Locale.ROOT);
        return switch (dev) {
            case "auto" -> gpuUsable;
            case "cpu" -> false;
            case "cuda", "gpu" -> {
                if (!gpuUsable) {
                    throw new IllegalArgumentException("device cuda: the GPU cannot be used — " + status.message());
                }
                yield true;
            }
            default -> throw new IllegalArgumentException("device must be auto, cpu or cuda, got '" + device + "'");
        };
    }

    /** {@code --dtype}: null for auto. */
    public static DataType parseDtype(String s) {
        String v = s == null ? "auto" : s.toLowerCase(Locale.ROOT);
        return switch (v) {
            case "auto" -> null;
            case "float32", "fp32" -> DataType.FLOAT32;
            case "float16", "fp16", "half" -> DataType.FLOAT16;
            case "bfloat16", "bf16" -> throw new IllegalArgumentException(
                    "--dtype bfloat16 is not available (DJL has no bfloat16 compute); bfloat16 weights load as float32 or float16");
            default -> throw new IllegalArgumentException("--dtype must be auto, float32 or float16, got '" + s + "'");
        };
    }

    private static boolean sameDtype(TensorDType file, DataType compute) {
        return (file == TensorDType.F32 && compute == DataType.FLOAT32) || (file == TensorDType.F16 && compute == DataType.FLOAT16);
    }

    static int bytes(DataType t) {
        return t == DataType.FLOAT16 ? 2 : 4;
    }

    private static String label(Device d) {
        return d.isGpu() ? "cuda" : "cpu";
    }

    private static String phase(long text, long denoise, long decode) {
        if (decode >= denoise && decode >= text) {
            return "while decoding";
        }
        return denoise >= text ? "while denoising" : "while encoding the prompt";
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}

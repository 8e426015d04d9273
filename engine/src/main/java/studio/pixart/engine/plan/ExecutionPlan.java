package studio.pixart.engine.plan;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import studio.pixart.engine.text.T5Encoder;
import studio.pixart.engine.vae.TiledVae;

/**
 * Where and in which precision each component runs, with which memory options, and how much
 * memory the job is estimated to need — decided once by {@link Planner} before any work. The
 * pipeline loads from it ({@code PipelineOptions.of(plan, …)}), {@code --plan} prints it
 * ({@link #describe()}), the studio shows {@link #summary()}.
 *
 * @param device/dtype the transformer's (the denoising loop's) device and compute dtype
 * @param textEncoderLoadMode null = T5's own default (mapped when no conversion is needed)
 * @param releaseTextEncoder free T5 once the prompts are encoded (the embedding caches keep them)
 * @param vaeFloat32Retry a float16 VAE decode that gives NaN/Inf is redone in float32
 * @param refusal null when the job fits; else why not (with the numbers), and {@code advice}
 */
public record ExecutionPlan(Device device, DataType dtype,
                            Device textEncoderDevice, DataType textEncoderDtype, T5Encoder.LoadMode textEncoderLoadMode,
                            boolean releaseTextEncoder,
                            DataType vaeDtype, boolean vaeFloat32Retry,
                            long attentionBudgetBytes, TiledVae.TileOptions vaeTiles,
                            MemoryMode memoryMode, String memoryModeReason,
                            MachineInfo machine, JobSpec job, ModelSpec model,
                            List<Component> components, Peak peak, List<String> notes,
                            String refusal, String advice) {

    /**
     * One component's placement and memory.
     *
     * @param weightBytes weights in memory on {@code device}
     * @param weightsMapped the weights are the weight file mapped into memory (no copy; the OS can
     *     drop and re-read those pages), not counted in the resident estimate
     * @param workBytes the largest working memory while it runs (activations, chunks, tiles)
     */
    public record Component(String name, String device, String dtype, long weightBytes, boolean weightsMapped,
                            long workBytes, String note) {}

    /**
     * Estimated peaks.
     *
     * @param hostBytes resident memory of the process (anonymous: weights copied or converted,
     *     activations, the Java heap's image arrays, JVM and libtorch) at its largest phase
     * @param mappedBytes weight files mapped on top of that (page cache; reclaimable)
     * @param heapBytes Java heap for images and tile results
     * @param gpuBytes GPU memory (0 without a GPU)
     */
    public record Peak(long hostBytes, long mappedBytes, long heapBytes, long gpuBytes, String hostPhase, String gpuPhase) {}

    public boolean fits() {
        return refusal == null;
    }

    /** Throws the refusal (with the numbers and the advice) when the job does not fit. */
    public ExecutionPlan requireFits() {
        if (refusal != null) {
            throw new InsufficientMemoryException(refusal, advice, this);
        }
        return this;
    }

    public boolean usesGpu() {
        return device.isGpu() || textEncoderDevice.isGpu();
    }

    /** One line for a status bar or the studio's model panel: device, precision, memory. */
    public String summary() {
        String where = device.isGpu() ? "GPU" : "CPU";
        String t5 = textEncoderDevice.equals(device) ? "" : ", T5 on " + (textEncoderDevice.isGpu() ? "GPU" : "CPU");
        String mem = device.isGpu() ? "~" + gb(peak.gpuBytes()) + " GPU, ~" + gb(peak.hostBytes()) + " RAM"
                : "~" + gb(peak.hostBytes()) + " RAM";
        return where + " " + name(dtype) + t5 + " · " + mem + " · memory " + memoryMode.label();
    }

    /** What {@code --plan} prints. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("plan for ").append(model.label()).append(": ");
        if (job.outWidth() > 0 && (job.outWidth() != job.genWidth() || job.outHeight() != job.genHeight())) {
            sb.append(job.outWidth()).append('×').append(job.outHeight()).append(" (").append(job.poster() ? "refined at " : "generated at ")
                    .append(job.genWidth()).append('×').append(job.genHeight()).append(')');
        } else {
            sb.append(job.genWidth()).append('×').append(job.genHeight());
        }
        sb.append(", ").append(job.batch()).append(job.batch() == 1 ? " image" : " images")
                .append(job.cfg() ? ", CFG" : ", no CFG").append(", ").append(job.textLength()).append(" tokens")
                .append(job.kvCompression() ? ", KV compression" : "").append(job.poster() ? ", poster path" : "").append('\n');
        sb.append("machine: ").append(gb(machine.ramTotalBytes())).append(" RAM (").append(gb(machine.ramAvailableBytes()))
                .append(" available), ").append(machine.cores()).append(" cores, Java heap ").append(gb(machine.heapMaxBytes()));
        if (machine.hasGpu()) {
            sb.append(", GPU ").append(gb(machine.gpuTotalBytes())).append(" (").append(gb(machine.gpuFreeBytes())).append(" free)");
        }
        sb.append('\n');
        sb.append("GPU: ").append(machine.gpu().message()).append('\n');
        sb.append("memory mode: ").append(memoryMode.label()).append(" (").append(memoryModeReason).append(")\n");
        sb.append(String.format(Locale.ROOT, "%-13s %-6s %-8s %10s %-7s %10s  %s%n", "component", "device", "dtype", "weights", "", "working", "notes"));
        for (Component c : components) {
            sb.append(String.format(Locale.ROOT, "%-13s %-6s %-8s %10s %-7s %10s  %s%n", c.name(), c.device(), c.dtype(),
                    gb(c.weightBytes()), c.weightsMapped() ? "mapped" : "", gb(c.workBytes()), c.note()));
        }
        sb.append(String.format(Locale.ROOT, "attention chunks ≤ %s of scores; VAE tiles ≤ %s%s%n", mb(attentionBudgetBytes),
                gb(vaeTiles.memoryBudgetBytes()), vaeTiles.maxUntiledArea() > 0
                        ? ", above " + (int) Math.sqrt(vaeTiles.maxUntiledArea()) * 8 + " px² always tiled" : ""));
        sb.append("estimated peak: ").append(gb(peak.hostBytes())).append(" resident (").append(peak.hostPhase()).append(')');
        if (peak.mappedBytes() > 0) {
            sb.append(" + ").append(gb(peak.mappedBytes())).append(" mapped from the weight files");
        }
        sb.append(", Java heap ").append(gb(peak.heapBytes()));
        if (peak.gpuBytes() > 0) {
            sb.append(", GPU ").append(gb(peak.gpuBytes())).append(" (").append(peak.gpuPhase()).append(')');
        }
        sb.append('\n');
        for (String n : notes) {
            sb.append("note: ").append(n).append('\n');
        }
        if (refusal != null) {
            sb.append("REFUSED: ").append(refusal).append('\n').append("advice: ").append(advice).append('\n');
        } else {
            sb.append("fits: yes\n");
        }
        return sb.toString();
    }

    /** The plan as plain values (for JSON and the studio). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", device.isGpu() ? "cuda" : "cpu");
        m.put("dtype", name(dtype));
        m.put("memory_mode", memoryMode.label());
        m.put("memory_mode_reason", memoryModeReason);
        m.put("gpu", machine.gpu().message());
        List<Map<String, Object>> comps = new ArrayList<>();
        for (Component c : components) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("name", c.name());
            cm.put("device", c.device());
            cm.put("dtype", c.dtype());
            cm.put("weight_bytes", c.weightBytes());
            cm.put("weights_mapped", c.weightsMapped());
            cm.put("work_bytes", c.workBytes());
            cm.put("note", c.note());
            comps.add(cm);
        }
        m.put("components", comps);
        m.put("attention_budget_bytes", attentionBudgetBytes);
        m.put("vae_tile_budget_bytes", vaeTiles.memoryBudgetBytes());
        m.put("peak_host_bytes", peak.hostBytes());
        m.put("peak_mapped_bytes", peak.mappedBytes());
        m.put("peak_heap_bytes", peak.heapBytes());
        m.put("peak_gpu_bytes", peak.gpuBytes());
        m.put("notes", notes);
        m.put("fits", fits());
        if (refusal != null) {
            m.put("refusal", refusal);
            m.put("advice", advice);
        }
        return m;
    }

    static String name(DataType t) {
        return t == DataType.FLOAT16 ? "float16" : t == DataType.FLOAT32 ? "float32" : t.toString().toLowerCase(Locale.ROOT);
    }

    /** "12.3 GB" in binary gigabytes (2³⁰ bytes), the unit RAM and GPU sizes are sold in ("a 24 GB machine"). */
    public static String gb(long bytes) {
        double g = bytes / (double) (1L << 30);
        return String.format(Locale.ROOT, g >= 9.95 ? "%.0f GB" : "%.1f GB", g);
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.0f MB", bytes / (double) (1L << 20));
    }
}

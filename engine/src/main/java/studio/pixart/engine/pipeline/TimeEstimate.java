package studio.pixart.engine.pipeline;

import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.transformer.StepFlops;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.transformer.TransformerOptions;

/**
 * The expected time to a finished image before Generate is pressed, for a model, size, step count
 * and guidance, on the machine at hand. The costs are calibrated from the real-size rehearsal
 * ({@code pixart rehearse}) measured on a reference machine, and scaled to this machine by the ratio
 * of float32 matmul rates ({@link studio.pixart.engine.nd.MatmulRate}):
 * <ul>
 *   <li>a denoising step: its FLOPs counted from the shapes ({@link StepFlops}) at the rate the
 *       rehearsal's steps reached, as a fraction of the matmul rate (interpolated in the image's
 *       token count between the two measured sizes; attention's share grows with the size);</li>
 *   <li>the VAE decode: measured at 1024 px, scaled by the area;</li>
 *   <li>the text: one T5 pass for a new prompt (0 when the prompt's embeddings are cached).</li>
 * </ul>
 * It is an estimate: other programs, the disk, and memory pressure move real times by tens of %.
 */
public final class TimeEstimate {
    /**
     * What the rehearsal measured on a reference machine.
     *
     * @param matmulGflops the machine's 2048³ float32 matmul rate during the measurement
     * @param smallPx side of the smaller measured step (512)
     * @param smallEfficiency that step's achieved FLOP rate as a fraction of {@code matmulGflops}
     * @param largePx side of the larger measured step (1024)
     * @param largeEfficiency likewise at {@code largePx}
     * @param largeDecodeSeconds the VAE decode of a largePx × largePx image (scaled by area)
     * @param newPromptSeconds T5 for a new prompt and the empty negative prompt (one pass, CPU)
     */
    public record Calibration(double matmulGflops, int smallPx, double smallEfficiency, int largePx, double largeEfficiency,
                              double largeDecodeSeconds, double newPromptSeconds) {

        /** Measured with {@code pixart rehearse} on the project's 2-core reference machine; see the README's performance section. */
        public static Calibration referenceMachine() {
            return new Calibration(REF_MATMUL, 512, REF_EFF_512, 1024, REF_EFF_1024, REF_DECODE_1024, REF_NEW_PROMPT);
        }
    }

    // Reference machine (2 cores, quiet) on 2026-11-30, README "Performance at the real size", scaled to
    // its usual 2048³ matmul rate of 131 GFLOP/s (the machine drifts by up to a third within an hour):
    // a CFG step 21.9 s at 512 px (`pixart bench --size 512`, 2.58 TFLOP) and 140.1 s at 1024 px
    // (`--size 1024`, 13.27 TFLOP); the 1024 px VAE decode 147 s; a new prompt and its empty negative
    // through T5 from bf16 shards 10-17 s cold, 8-10 s warm.
    static final double REF_MATMUL = 131;
    static final double REF_EFF_512 = 2.58e12 / 21.9 / 131e9;
    static final double REF_EFF_1024 = 13.27e12 / 140.1 / 131e9;
    static final double REF_DECODE_1024 = 147;
    static final double REF_NEW_PROMPT = 12;

    /** The parts of the expected time, in seconds. */
    public record Estimate(double textSeconds, double secondsPerStep, int steps, double decodeSeconds) {
        public double totalSeconds() {
            return textSeconds + secondsPerStep * steps + decodeSeconds;
        }

        /** "≈ 3 min 10 s", "≈ 45 s". */
        public String describe() {
            long s = Math.round(totalSeconds());
            if (s < 60) {
                return "≈ " + Math.max(s, 1) + " s";
            }
            long m = s / 60;
            long r = (s % 60) / 10 * 10;
            return "≈ " + m + " min" + (r > 0 ? " " + r + " s" : "");
        }
    }

    private TimeEstimate() {}

    /**
     * Expected time for {@code steps} steps at width × height (the generated size) with this
     * transformer configuration. {@code guidance} &gt; 1 doubles the batch (classifier-free
     * guidance). {@code machineGflops} is this machine's matmul rate (≤ 0: assume the reference).
     */
    public static Estimate estimate(TransformerConfig c, int width, int height, int steps, double guidance, int textTokens,
                                    boolean promptCached, double machineGflops, Calibration cal) {
        if (width <= 0 || height <= 0 || steps <= 0) {
            throw new IllegalArgumentException("size and steps must be positive: " + width + "x" + height + ", " + steps + " steps");
        }
        double speed = machineGflops > 0 ? machineGflops : cal.matmulGflops();
        int latH = height / 8;
        int latW = width / 8;
        int batch = guidance > 1 ? 2 : 1;
        double flops = StepFlops.count(c, latH, latW, textTokens, batch, TransformerOptions.defaults()).total();
        double tokens = (double) (latH / c.patchSize()) * (latW / c.patchSize());
        double t0 = tokensOf(cal.smallPx(), c);
        double t1 = tokensOf(cal.largePx(), c);
        double f = Math.max(0, Math.min(1, (tokens - t0) / (t1 - t0)));
        double eff = cal.smallEfficiency() + f * (cal.largeEfficiency() - cal.smallEfficiency());
        double perStep = flops / (eff * speed * 1e9);
        double scale = cal.matmulGflops() / speed;
        double decode = cal.largeDecodeSeconds() * width * (double) height / ((double) cal.largePx() * cal.largePx()) * scale;
        double text = promptCached ? 0 : cal.newPromptSeconds() * scale;
        return new Estimate(text, perStep, steps, decode);
    }

    /** Shortcut for a loaded pipeline folder: its transformer, the size generated, the request's steps and guidance. */
    public static Estimate estimate(PipelineFolder folder, int width, int height, int steps, double guidance, boolean promptCached,
                                    double machineGflops) {
        TransformerConfig c = TransformerConfig.read(folder.component("transformer").resolve("config.json"));
        return estimate(c, width, height, steps, guidance, folder.variant().defaultMaxSequenceLength, promptCached, machineGflops,
                Calibration.referenceMachine());
    }

    private static double tokensOf(int px, TransformerConfig c) {
        double side = px / 8.0 / c.patchSize();
        return side * side;
    }
}

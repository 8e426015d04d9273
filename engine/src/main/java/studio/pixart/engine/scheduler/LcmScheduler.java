package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Latent Consistency Model sampling (diffusers {@code LCMScheduler}), used by PixArt-δ/LCM.
 *
 * <p>Timesteps are taken evenly (by index) from the distillation schedule
 * {@code [k−1, 2k−1, …]} with {@code k = num_train_timesteps // original_inference_steps}
 * ({@code timestep_spacing} plays no part). Each step forms the consistency-model estimate
 * {@code c_out·x0 + c_skip·x} and, on every step but the last, re-noises it to the next
 * timestep with a fresh standard-normal draw.
 */
public final class LcmScheduler implements Scheduler {
    public static final String CLASS_NAME = "LCMScheduler";

    private final NoiseSchedule schedule;
    private final int originalInferenceSteps;
    private final boolean clipSample;
    private final float clipRange;
    private final float finalAlphaCumprod;
    private final String predictionType;
    private final double timestepScaling;

    private long[] timesteps = new long[0]; // empty until setTimesteps
    private int numInferenceSteps;
    private final StepOrder order = new StepOrder(CLASS_NAME);

    public LcmScheduler(JsonNode config) {
        SchedulerConfig c = new SchedulerConfig(CLASS_NAME, config);
        schedule = NoiseSchedule.fromConfig(c, 0.00085, 0.012, "scaled_linear");
        c.rejectCommonUnsupported();
        originalInferenceSteps = c.integer("original_inference_steps", 50);
        if (originalInferenceSteps < 1 || originalInferenceSteps > schedule.numTrainTimesteps) {
            throw c.invalid("original_inference_steps", Integer.toString(originalInferenceSteps),
                    "1.." + schedule.numTrainTimesteps + " (num_train_timesteps)");
        }
        clipSample = c.bool("clip_sample", false);
        clipRange = (float) c.number("clip_sample_range", 1.0);
        finalAlphaCumprod = c.bool("set_alpha_to_one", true) ? 1f : schedule.alphasCumprod[0];
        predictionType = c.oneOf("prediction_type", c.string("prediction_type", "epsilon"),
                "epsilon", "sample", "v_prediction");
        timestepScaling = c.number("timestep_scaling", 10.0);
    }

    @Override
    public String className() {
        return CLASS_NAME;
    }

    @Override
    public void setTimesteps(int n) {
        StepOrder.checkSteps(CLASS_NAME, n, Math.min(schedule.numTrainTimesteps, originalInferenceSteps),
                originalInferenceSteps < schedule.numTrainTimesteps ? "original_inference_steps" : "num_train_timesteps");
        int k = schedule.numTrainTimesteps / originalInferenceSteps;
        // distillation schedule, descending: orig·k − 1, …, 2k − 1, k − 1
        long[] origin = new long[originalInferenceSteps];
        for (int i = 0; i < origin.length; i++) {
            origin[i] = (long) (originalInferenceSteps - i) * k - 1;
        }
        double[] idx = Numerics.linspace(0, origin.length, n, false);
        timesteps = new long[n];
        for (int i = 0; i < n; i++) {
            timesteps[i] = origin[(int) Math.floor(idx[i])];
        }
        numInferenceSteps = n;
        order.reset();
    }

    // Copied from DpmSolverMultistepScheduler: numSteps, timestep(i), timesteps().
    @Override
    public int numSteps() {
        order.requireReady();
        return timesteps.length;
    }

    @Override
    public float timestep(int i) {
        order.checkIndex(i, timesteps.length);
        return timesteps[i];
    }

    @Override
    public double[] timesteps() {
        order.requireReady();
        double[] out = new double[timesteps.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = timesteps[i];
        }
        return out;
    }

    @Override
    public boolean integerTimesteps() {
        return true;
    }

    @Override
    public float initNoiseSigma() {
        return 1f;
    }

    @Override
    public float[] scaleModelInput(float[] sample, int stepIndex) {
        return sample;
    }

    @Override
    public boolean needsNoise() {
        return true;
    }

    @Override
    public StepResult step(float[] m, int i, float[] sample, NoiseSource noise) {
        order.check(i, timesteps.length, m, sample);
        int t = (int) timesteps[i];
        int prevT = i + 1 < timesteps.length ? (int) timesteps[i + 1] : t;
        float alphaProdT = schedule.alphasCumprod[t];
        float alphaProdPrev = prevT >= 0 ? schedule.alphasCumprod[prevT] : finalAlphaCumprod;
        float betaProdT = 1f - alphaProdT;
        float betaProdPrev = 1f - alphaProdPrev;

        // boundary-condition scalings (σ_data = 0.5) on the int64 timestep promoted to float32
        float scaled = (float) t * (float) timestepScaling;
        float cSkip = 0.25f / (scaled * scaled + 0.25f);
        float cOut = scaled / Numerics.sqrt(scaled * scaled + 0.25f);

        float sqrtA = Numerics.sqrt(alphaProdT);
        float sqrtB = Numerics.sqrt(betaProdT);
        int len = sample.length;
        float[] denoised = new float[len];
        for (int k = 0; k < len; k++) {
            float x0;
            switch (predictionType) {
                case "epsilon":
                    x0 = (sample[k] - sqrtB * m[k]) / sqrtA;
                    break;
                case "sample":
                    x0 = m[k];
                    break;
                default: // v_prediction
                    x0 = sqrtA * sample[k] - sqrtB * m[k];
            }
            if (clipSample) {
                x0 = Math.min(Math.max(x0, -clipRange), clipRange);
            }
            denoised[k] = cOut * x0 + cSkip * sample[k];
        }
        float[] prev;
        if (i != numInferenceSteps - 1) {
            float[] z = noise.standardNormal(len);
            if (z.length != len) {
                throw new IllegalArgumentException(CLASS_NAME + ": noise source returned " + z.length + " values");
            }
            float a = Numerics.sqrt(alphaProdPrev);
            float b = Numerics.sqrt(betaProdPrev);
            prev = new float[len];
            for (int k = 0; k < len; k++) {
                prev[k] = a * denoised[k] + b * z[k];
            }
        } else {
            prev = denoised.clone();
        }
        order.advance(i);
        return new StepResult(prev, denoised);
    }

    @Override
    public float[] addNoise(float[] original, float[] noise, int stepIndex) {
        int t = Math.round(timestep(stepIndex));
        float acp = schedule.alphasCumprod[t >= 0 ? t : schedule.numTrainTimesteps + t];
        float a = (float) Math.sqrt(acp);
        float b = (float) Math.sqrt(1.0f - acp);
        float[] out = new float[original.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = a * original[i] + b * noise[i];
        }
        return out;
    }
}

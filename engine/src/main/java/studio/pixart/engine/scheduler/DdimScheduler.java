package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * DDIM (diffusers {@code DDIMScheduler}) with η = 0, as the pipelines call it.
 *
 * <p>Behaviour worth knowing (README §7 items 18, 30): the class defaults {@code clip_sample=True}
 * and {@code set_alpha_to_one=True} apply when the config lacks them (the PixArt config does);
 * the previous timestep is a fixed stride {@code t − num_train_timesteps // n}, not the next
 * listed timestep; x0 is clipped but ε is not recomputed from it, so the last latent is the
 * clipped x0. All coefficients are float32 0-d tensor operations.
 */
public final class DdimScheduler implements Scheduler {
    public static final String CLASS_NAME = "DDIMScheduler";

    private final NoiseSchedule schedule;
    private final boolean clipSample;
    private final float clipRange;
    private final float finalAlphaCumprod;
    private final String predictionType;
    private final String spacing;
    private final int stepsOffset;

    private long[] timesteps = new long[0]; // empty until setTimesteps
    private int numInferenceSteps;
    private final StepOrder order = new StepOrder(CLASS_NAME);

    public DdimScheduler(JsonNode config) {
        SchedulerConfig c = new SchedulerConfig(CLASS_NAME, config);
        schedule = NoiseSchedule.fromConfig(c, 0.0001, 0.02, "linear");
        c.rejectCommonUnsupported();
        clipSample = c.bool("clip_sample", true);
        clipRange = (float) c.number("clip_sample_range", 1.0);
        finalAlphaCumprod = c.bool("set_alpha_to_one", true) ? 1f : schedule.alphasCumprod[0];
        predictionType = c.oneOf("prediction_type", c.string("prediction_type", "epsilon"),
                "epsilon", "sample", "v_prediction");
        spacing = c.oneOf("timestep_spacing", c.string("timestep_spacing", "leading"),
                "linspace", "leading", "trailing");
        stepsOffset = c.integer("steps_offset", 0);
    }

    @Override
    public String className() {
        return CLASS_NAME;
    }

    @Override
    public void setTimesteps(int n) {
        int train = schedule.numTrainTimesteps;
        StepOrder.checkSteps(CLASS_NAME, n, train, "num_train_timesteps");
        long[] ts;
        switch (spacing) {
            case "linspace":
                ts = Numerics.reverse(Numerics.roundHalfEven(Numerics.linspace(0, train - 1, n, true)));
                break;
            case "leading": {
                int ratio = train / n;
                ts = new long[n];
                for (int i = 0; i < n; i++) {
                    ts[i] = (long) (n - 1 - i) * ratio + stepsOffset;
                }
                break;
            }
            default: { // trailing
                ts = Numerics.roundHalfEven(Numerics.arange(train, 0, -(train / (double) n)));
                for (int i = 0; i < ts.length; i++) {
                    ts[i] -= 1;
                }
            }
        }
        // trailing spacing can end in −1 (numpy's arange yields one extra value ≈ 0 for some n);
        // diffusers then indexes alphas_cumprod[−1], i.e. the last entry, and so do we
        for (long t : ts) {
            if (t < -train || t >= train) {
                throw new IllegalArgumentException(CLASS_NAME + ": timestep " + t + " (steps_offset "
                        + stepsOffset + ", " + n + " steps) falls outside the " + train + " training timesteps");
            }
        }
        timesteps = ts;
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
        return false;
    }

    @Override
    public StepResult step(float[] m, int i, float[] sample, NoiseSource noise) {
        order.check(i, timesteps.length, m, sample);
        int t = (int) timesteps[i];
        int prevT = t - schedule.numTrainTimesteps / numInferenceSteps;
        float alphaProdT = schedule.alphasCumprod[t >= 0 ? t : schedule.numTrainTimesteps + t];
        float alphaProdPrev = prevT >= 0 ? schedule.alphasCumprod[prevT] : finalAlphaCumprod;
        float betaProdT = 1f - alphaProdT;
        float sqrtA = Numerics.sqrt(alphaProdT);
        float sqrtB = Numerics.sqrt(betaProdT);

        int len = sample.length;
        float[] x0 = new float[len];
        float[] eps = new float[len];
        for (int k = 0; k < len; k++) {
            switch (predictionType) {
                case "epsilon":
                    x0[k] = (sample[k] - sqrtB * m[k]) / sqrtA;
                    eps[k] = m[k];
                    break;
                case "sample":
                    x0[k] = m[k];
                    eps[k] = (sample[k] - sqrtA * x0[k]) / sqrtB;
                    break;
                default: // v_prediction
                    x0[k] = sqrtA * sample[k] - sqrtB * m[k];
                    eps[k] = sqrtA * m[k] + sqrtB * sample[k];
            }
            if (clipSample) {
                x0[k] = Math.min(Math.max(x0[k], -clipRange), clipRange);
            }
        }
        // η = 0: σ_t = 0, so the direction term is √(1 − ᾱ_prev)·ε and no noise is added
        float dirCoef = Numerics.sqrt(1f - alphaProdPrev - 0f);
        float sqrtAPrev = Numerics.sqrt(alphaProdPrev);
        float[] prev = new float[len];
        for (int k = 0; k < len; k++) {
            prev[k] = sqrtAPrev * x0[k] + dirCoef * eps[k];
        }
        order.advance(i);
        return new StepResult(prev, x0);
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

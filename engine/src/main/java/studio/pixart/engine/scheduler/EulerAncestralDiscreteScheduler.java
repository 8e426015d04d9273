package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Euler ancestral ("Euler a"; diffusers {@code EulerAncestralDiscreteScheduler}): an Euler step
 * down to σ_down followed by fresh noise of standard deviation σ_up, so every step draws from
 * the pipeline's generator (also the last one, where σ_up = 0).
 *
 * <p>Timesteps are float32 like {@link EulerDiscreteScheduler}'s (linspace spacing gives 749.25…),
 * sigmas are interpolated linearly in t on the training sigmas plus a final 0, the initial noise
 * is scaled by σ_max and the model input is {@code x / √(σ²+1)}. The step's coefficients are
 * float32 0-d tensor operations in diffusers' order:
 * σ_up = √(σ_to² · (σ_from² − σ_to²) / σ_from²), σ_down = √(σ_to² − σ_up²).
 */
public final class EulerAncestralDiscreteScheduler implements Scheduler {
    public static final String CLASS_NAME = "EulerAncestralDiscreteScheduler";

    private final NoiseSchedule schedule;
    private final boolean vPrediction;
    private final String spacing;
    private final int stepsOffset;

    private float[] timesteps = new float[0]; // empty until setTimesteps
    private float[] sigmas;
    private final StepOrder order = new StepOrder(CLASS_NAME);

    public EulerAncestralDiscreteScheduler(JsonNode config) {
        SchedulerConfig c = new SchedulerConfig(CLASS_NAME, config);
        schedule = NoiseSchedule.fromConfig(c, 0.0001, 0.02, "linear");
        if (c.bool("rescale_betas_zero_snr", false)) {
            throw c.unsupported("rescale_betas_zero_snr", "true", "false");
        }
        // diffusers raises NotImplementedError for "sample" in this class
        vPrediction = c.oneOf("prediction_type", c.string("prediction_type", "epsilon"),
                "epsilon", "v_prediction").equals("v_prediction");
        spacing = c.oneOf("timestep_spacing", c.string("timestep_spacing", "linspace"),
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
        double[] ts = TimestepSpacing.eulerTimesteps(spacing, train, n, stepsOffset);
        float[] train32 = schedule.sigmas();
        sigmas = new float[ts.length + 1];
        for (int i = 0; i < ts.length; i++) {
            sigmas[i] = (float) Numerics.interp(ts[i], train32);
        }
        sigmas[ts.length] = 0f;
        timesteps = new float[ts.length];
        for (int i = 0; i < ts.length; i++) {
            timesteps[i] = (float) ts[i];
        }
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
        return false;
    }

    /** The sigma schedule (numSteps + 1 values, the last being 0). */
    public float[] sigmas() {
        order.requireReady();
        return sigmas.clone();
    }

    @Override
    public float initNoiseSigma() {
        order.requireReady();
        float max = Float.NEGATIVE_INFINITY;
        for (float s : sigmas) {
            max = Math.max(max, s);
        }
        if (spacing.equals("linspace") || spacing.equals("trailing")) {
            return max;
        }
        return Numerics.sqrt(max * max + 1f);
    }

    @Override
    public float[] scaleModelInput(float[] sample, int i) {
        order.checkIndex(i, timesteps.length);
        float sigma = sigmas[i];
        float d = Numerics.sqrt(sigma * sigma + 1f);
        float[] out = new float[sample.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = sample[k] / d;
        }
        return out;
    }

    @Override
    public boolean needsNoise() {
        return true;
    }

    @Override
    public StepResult step(float[] m, int i, float[] sample, NoiseSource noise) {
        order.check(i, timesteps.length, m, sample);
        int len = sample.length;
        float sigma = sigmas[i];
        // 1. x0 from the sigma-scaled prediction
        float[] x0 = new float[len];
        if (!vPrediction) {
            for (int k = 0; k < len; k++) {
                x0[k] = sample[k] - sigma * m[k];
            }
        } else {
            float s2 = sigma * sigma + 1f;
            float c = -sigma / Numerics.sqrt(s2);
            for (int k = 0; k < len; k++) {
                x0[k] = m[k] * c + sample[k] / s2;
            }
        }
        // 2. split the move to sigma_to into a deterministic part (to sigma_down) and fresh noise (sigma_up)
        float from = sigmas[i];
        float to = sigmas[i + 1];
        float up = Numerics.sqrt(to * to * (from * from - to * to) / (from * from));
        float down = Numerics.sqrt(to * to - up * up);
        float dt = down - sigma;
        float[] z = noise.standardNormal(len);
        if (z.length != len) {
            throw new IllegalArgumentException(CLASS_NAME + ": noise source returned " + z.length + " values");
        }
        float[] prev = new float[len];
        for (int k = 0; k < len; k++) {
            float derivative = (sample[k] - x0[k]) / sigma;
            float x = sample[k] + derivative * dt;
            prev[k] = x + z[k] * up;
        }
        order.advance(i);
        return new StepResult(prev, x0);
    }

    @Override
    public float[] addNoise(float[] original, float[] noise, int stepIndex) {
        order.checkIndex(stepIndex, timesteps.length);
        float sigma = sigmas[stepIndex];
        float[] out = new float[original.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = original[i] + noise[i] * sigma;
        }
        return out;
    }
}

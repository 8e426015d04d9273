package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import studio.pixart.engine.io.ConfigException;

/**
 * Euler (diffusers {@code EulerDiscreteScheduler}) without churn (s_churn = 0, as the pipelines
 * call it), so it never draws noise.
 *
 * <p>README §7 items 19, 31: timesteps are float32 and fractional (e.g. 749.25) and reach the
 * transformer as such; sigmas are interpolated linearly in t on the training sigmas (numpy
 * float64, stored as float32) plus a final 0; the initial latents are scaled by σ_max; the model
 * input is {@code x / √(σ²+1)} while {@code step()} works on the unscaled latents.
 */
public final class EulerDiscreteScheduler implements Scheduler {
    public static final String CLASS_NAME = "EulerDiscreteScheduler";

    private final NoiseSchedule schedule;
    private final String predictionType;
    private final boolean logLinear;
    private final boolean useKarras;
    private final Double sigmaMin;
    private final Double sigmaMax;
    private final String spacing;
    private final boolean continuousTimesteps;
    private final int stepsOffset;
    private final boolean finalSigmaZero;

    private float[] timesteps = new float[0]; // empty until setTimesteps
    private float[] sigmas;
    private final StepOrder order = new StepOrder(CLASS_NAME);

    public EulerDiscreteScheduler(JsonNode config) {
        SchedulerConfig c = new SchedulerConfig(CLASS_NAME, config);
        schedule = NoiseSchedule.fromConfig(c, 0.0001, 0.02, "linear");
        if (c.bool("rescale_betas_zero_snr", false)) {
            throw c.unsupported("rescale_betas_zero_snr", "true", "false");
        }
        String prediction = c.string("prediction_type", "epsilon");
        predictionType = "original_sample".equals(prediction) ? "sample"
                : c.oneOf("prediction_type", prediction, "epsilon", "sample", "original_sample", "v_prediction");
        logLinear = c.oneOf("interpolation_type", c.string("interpolation_type", "linear"),
                "linear", "log_linear").equals("log_linear");
        useKarras = c.bool("use_karras_sigmas", false);
        boolean useExp = c.bool("use_exponential_sigmas", false);
        boolean useBeta = c.bool("use_beta_sigmas", false);
        if ((useKarras ? 1 : 0) + (useExp ? 1 : 0) + (useBeta ? 1 : 0) > 1) {
            throw new ConfigException(CLASS_NAME + ": only one of use_beta_sigmas, "
                    + "use_exponential_sigmas, use_karras_sigmas can be true");
        }
        if (useExp) {
            throw c.unsupported("use_exponential_sigmas", "true", "false");
        }
        if (useBeta) {
            throw c.unsupported("use_beta_sigmas", "true", "false");
        }
        sigmaMin = c.optionalNumber("sigma_min");
        sigmaMax = c.optionalNumber("sigma_max");
        spacing = c.oneOf("timestep_spacing", c.string("timestep_spacing", "linspace"),
                "linspace", "leading", "trailing");
        String type = c.oneOf("timestep_type", c.string("timestep_type", "discrete"), "discrete", "continuous");
        continuousTimesteps = type.equals("continuous") && predictionType.equals("v_prediction");
        stepsOffset = c.integer("steps_offset", 0);
        finalSigmaZero = c.oneOf("final_sigmas_type", c.string("final_sigmas_type", "zero"),
                "zero", "sigma_min").equals("zero");
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
        double[] sig;
        if (!logLinear) {
            sig = new double[ts.length];
            for (int i = 0; i < ts.length; i++) {
                sig[i] = Numerics.interp(ts[i], train32);
            }
        } else {
            float[] l = Numerics.torchLinspace(Numerics.log(train32[train32.length - 1]), Numerics.log(train32[0]), n + 1);
            sig = new double[l.length];
            for (int i = 0; i < l.length; i++) {
                sig[i] = Numerics.exp(l[i]);
            }
        }
        if (useKarras) {
            double sMin = sigmaMin != null ? sigmaMin : sig[sig.length - 1];
            double sMax = sigmaMax != null ? sigmaMax : sig[0];
            sig = Numerics.karras(sMin, sMax, n);
            float[] logSigmas = schedule.logSigmas();
            ts = new double[n];
            for (int i = 0; i < n; i++) {
                ts[i] = (float) Numerics.sigmaToT(sig[i], logSigmas);
            }
        }
        sigmas = new float[sig.length + 1];
        for (int i = 0; i < sig.length; i++) {
            sigmas[i] = (float) sig[i];
        }
        sigmas[sig.length] = finalSigmaZero ? 0f : train32[0];
        if (continuousTimesteps) {
            ts = new double[sigmas.length - 1];
            for (int i = 0; i < ts.length; i++) {
                ts[i] = 0.25f * Numerics.log(sigmas[i]);
            }
        }
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

    /** The sigma schedule (numSteps + 1 values, the last being the final sigma). */
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
        return false;
    }

    @Override
    public StepResult step(float[] m, int i, float[] sample, NoiseSource noise) {
        order.check(i, timesteps.length, m, sample);
        float sigma = sigmas[i];
        float sigmaHat = sigma; // σ·(γ + 1) with γ = 0 (no churn)
        int len = sample.length;
        float[] x0 = new float[len];
        switch (predictionType) {
            case "epsilon":
                for (int k = 0; k < len; k++) {
                    x0[k] = sample[k] - sigmaHat * m[k];
                }
                break;
            case "sample":
                System.arraycopy(m, 0, x0, 0, len);
                break;
            default: { // v_prediction
                float s2 = sigma * sigma + 1f;
                float c = -sigma / Numerics.sqrt(s2);
                for (int k = 0; k < len; k++) {
                    x0[k] = m[k] * c + sample[k] / s2;
                }
            }
        }
        float dt = sigmas[i + 1] - sigmaHat;
        float[] prev = new float[len];
        for (int k = 0; k < len; k++) {
            float derivative = (sample[k] - x0[k]) / sigmaHat;
            prev[k] = sample[k] + derivative * dt;
        }
        order.advance(i);
        return new StepResult(prev, x0);
    }

    @Override
    public float[] addNoise(float[] original, float[] noise, int stepIndex) {
        float sigma = sigmas[stepIndex];
        float[] out = new float[original.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = original[i] + noise[i] * sigma;
        }
        return out;
    }
}

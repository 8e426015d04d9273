package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * DPM-Solver++ multistep (diffusers {@code DPMSolverMultistepScheduler}), PixArt-Σ's default
 * sampler: a data-prediction (x0) exponential integrator of order 1–3 over λ = log(α/σ).
 *
 * <p>Supported: algorithm_type {@code dpmsolver++} and {@code sde-dpmsolver++} (draws noise every
 * step), solver_order 1/2/3 (3 only for the ODE variant), solver_type midpoint/heun, timestep
 * spacing linspace/leading/trailing, Karras sigmas, Lu lambdas, final sigma zero/sigma_min,
 * prediction types epsilon/sample/v_prediction. Everything else is rejected with a clear error.
 *
 * <p>Arithmetic follows diffusers: sigmas are float32 (numpy float64 interpolation stored as
 * float32), α_t, σ_t, λ and all step coefficients are float32 0-d tensor operations, and the
 * elementwise update is evaluated term by term in float32. The final sigma 0 gives α = 1, σ = 0,
 * λ = +∞, so e^{−h} = 0 and the last (first-order) step returns the x0 prediction exactly.
 */
public final class DpmSolverMultistepScheduler implements Scheduler {
    public static final String CLASS_NAME = "DPMSolverMultistepScheduler";

    private final NoiseSchedule schedule;
    private final int solverOrder;
    private final String predictionType;
    private final boolean sde;
    private final boolean heun;
    private final boolean lowerOrderFinal;
    private final boolean eulerAtFinal;
    private final boolean useKarras;
    private final boolean useLuLambdas;
    private final boolean finalSigmaZero;
    private final double lambdaMinClipped;
    private final String spacing;
    private final int stepsOffset;
    private final Double sigmaMinOverride;
    private final Double sigmaMaxOverride;

    private long[] timesteps = new long[0]; // empty until setTimesteps
    private float[] sigmas;
    private final StepOrder order = new StepOrder(CLASS_NAME);
    // solver history: x0 predictions of the last solverOrder steps, newest last
    private float[][] modelOutputs;
    private int lowerOrderNums;

    public DpmSolverMultistepScheduler(JsonNode config) {
        SchedulerConfig c = new SchedulerConfig(CLASS_NAME, config);
        schedule = NoiseSchedule.fromConfig(c, 0.0001, 0.02, "linear");
        c.rejectCommonUnsupported();
        c.rejectVarianceType();
        solverOrder = c.integer("solver_order", 2);
        if (solverOrder < 1 || solverOrder > 3) {
            throw c.unsupported("solver_order", Integer.toString(solverOrder), "1, 2, 3");
        }
        predictionType = c.oneOf("prediction_type", c.string("prediction_type", "epsilon"),
                "epsilon", "sample", "v_prediction");
        String algorithm = c.string("algorithm_type", "dpmsolver++");
        if ("deis".equals(algorithm)) {
            algorithm = "dpmsolver++"; // diffusers silently maps DEIS configs to DPM-Solver++
        }
        c.oneOf("algorithm_type", algorithm, "dpmsolver++", "sde-dpmsolver++");
        sde = algorithm.equals("sde-dpmsolver++");
        if (sde && solverOrder == 3) {
            throw c.unsupported("solver_order", "3 with algorithm_type \"sde-dpmsolver++\"", "1, 2");
        }
        String solverType = c.string("solver_type", "midpoint");
        if ("logrho".equals(solverType) || "bh1".equals(solverType) || "bh2".equals(solverType)) {
            solverType = "midpoint"; // mapped like diffusers does for UniPC/DEIS configs
        }
        heun = c.oneOf("solver_type", solverType, "midpoint", "heun").equals("heun");
        lowerOrderFinal = c.bool("lower_order_final", true);
        eulerAtFinal = c.bool("euler_at_final", false);
        useKarras = c.bool("use_karras_sigmas", false);
        useLuLambdas = c.bool("use_lu_lambdas", false);
        boolean useExp = c.bool("use_exponential_sigmas", false);
        boolean useBeta = c.bool("use_beta_sigmas", false);
        if ((useKarras ? 1 : 0) + (useExp ? 1 : 0) + (useBeta ? 1 : 0) > 1) {
            throw new studio.pixart.engine.io.ConfigException(CLASS_NAME + ": only one of use_beta_sigmas, "
                    + "use_exponential_sigmas, use_karras_sigmas can be true");
        }
        if (useExp) {
            throw c.unsupported("use_exponential_sigmas", "true", "false");
        }
        if (useBeta) {
            throw c.unsupported("use_beta_sigmas", "true", "false");
        }
        finalSigmaZero = c.oneOf("final_sigmas_type", c.string("final_sigmas_type", "zero"),
                "zero", "sigma_min").equals("zero");
        lambdaMinClipped = c.number("lambda_min_clipped", Double.NEGATIVE_INFINITY);
        spacing = c.oneOf("timestep_spacing", c.string("timestep_spacing", "linspace"),
                "linspace", "leading", "trailing");
        stepsOffset = c.integer("steps_offset", 0);
        // not DPM parameters, but diffusers' Karras conversion reads them when the config has them
        sigmaMinOverride = c.optionalNumber("sigma_min");
        sigmaMaxOverride = c.optionalNumber("sigma_max");
    }

    @Override
    public String className() {
        return CLASS_NAME;
    }

    @Override
    public void setTimesteps(int n) {
        StepOrder.checkSteps(CLASS_NAME, n, schedule.numTrainTimesteps, "num_train_timesteps");
        TimestepSpacing.Multistep m = TimestepSpacing.multistep(schedule, n, schedule.lastTimestep(lambdaMinClipped),
                spacing, stepsOffset, useKarras, useLuLambdas, sigmaMinOverride, sigmaMaxOverride, finalSigmaZero);
        sigmas = m.sigmas();
        timesteps = m.timesteps();
        modelOutputs = new float[solverOrder][];
        lowerOrderNums = 0;
        order.reset();
    }

    // numSteps, timestep(i), timesteps(): this block is copied into every scheduler, each copy marked
    // "Copied from DpmSolverMultistepScheduler"; change them together (SchedulerCopiesTest checks it).
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

    /** The sigma schedule (numSteps + 1 values, the last being the final sigma). */
    public float[] sigmas() {
        order.requireReady();
        return sigmas.clone();
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
        return sde;
    }

    // α_t = 1/√(σ²+1), σ_t = σ·α_t, as float32 0-d tensors
    private static float alpha(float sigma) {
        return 1f / Numerics.sqrt(sigma * sigma + 1f);
    }

    private float lambda(int i) {
        float a = alpha(sigmas[i]);
        float s = sigmas[i] * a;
        return Numerics.log(a) - Numerics.log(s);
    }

    @Override
    public StepResult step(float[] modelOutput, int i, float[] sample, NoiseSource noise) {
        order.check(i, timesteps.length, modelOutput, sample);
        int n = timesteps.length;
        boolean finalFirstOrder = i == n - 1
                && (eulerAtFinal || (lowerOrderFinal && n < 15) || finalSigmaZero);
        boolean finalSecondOrder = i == n - 2 && lowerOrderFinal && n < 15;

        float[] x0 = convertModelOutput(modelOutput, i, sample);
        System.arraycopy(modelOutputs, 1, modelOutputs, 0, solverOrder - 1);
        modelOutputs[solverOrder - 1] = x0;

        float[] z = sde ? noise.standardNormal(sample.length) : null;
        if (z != null && z.length != sample.length) {
            throw new IllegalArgumentException(CLASS_NAME + ": noise source returned " + z.length + " values");
        }
        float[] prev;
        if (solverOrder == 1 || lowerOrderNums < 1 || finalFirstOrder) {
            prev = firstOrder(x0, i, sample, z);
        } else if (solverOrder == 2 || lowerOrderNums < 2 || finalSecondOrder) {
            prev = secondOrder(i, sample, z);
        } else {
            prev = thirdOrder(i, sample);
        }
        if (lowerOrderNums < solverOrder) {
            lowerOrderNums++;
        }
        order.advance(i);
        return new StepResult(prev, x0);
    }

    private float[] convertModelOutput(float[] m, int i, float[] sample) {
        float sigma = sigmas[i];
        float a = alpha(sigma);
        float s = sigma * a;
        float[] x0 = new float[m.length];
        switch (predictionType) {
            case "epsilon":
                for (int k = 0; k < m.length; k++) {
                    x0[k] = (sample[k] - s * m[k]) / a;
                }
                break;
            case "sample":
                System.arraycopy(m, 0, x0, 0, m.length);
                break;
            default: // v_prediction
                for (int k = 0; k < m.length; k++) {
                    x0[k] = a * sample[k] - s * m[k];
                }
        }
        return x0;
    }

    private float[] firstOrder(float[] m, int i, float[] sample, float[] z) {
        float alphaT = alpha(sigmas[i + 1]);
        float sigmaT = sigmas[i + 1] * alphaT;
        float alphaS = alpha(sigmas[i]);
        float sigmaS = sigmas[i] * alphaS;
        float h = (Numerics.log(alphaT) - Numerics.log(sigmaT)) - (Numerics.log(alphaS) - Numerics.log(sigmaS));
        float[] x = new float[sample.length];
        if (!sde) {
            float c1 = sigmaT / sigmaS;
            float c2 = alphaT * (Numerics.exp(-h) - 1f);
            for (int k = 0; k < x.length; k++) {
                x[k] = c1 * sample[k] - c2 * m[k];
            }
        } else {
            float c1 = sigmaT / sigmaS * Numerics.exp(-h);
            float c2 = alphaT * (1f - Numerics.exp(-2f * h));
            float c3 = sigmaT * Numerics.sqrt(1f - Numerics.exp(-2f * h));
            for (int k = 0; k < x.length; k++) {
                x[k] = c1 * sample[k] + c2 * m[k] + c3 * z[k];
            }
        }
        return x;
    }

    private float[] secondOrder(int i, float[] sample, float[] z) {
        float alphaT = alpha(sigmas[i + 1]);
        float sigmaT = sigmas[i + 1] * alphaT;
        float alphaS0 = alpha(sigmas[i]);
        float sigmaS0 = sigmas[i] * alphaS0;
        float lambdaT = Numerics.log(alphaT) - Numerics.log(sigmaT);
        float lambdaS0 = lambda(i);
        float lambdaS1 = lambda(i - 1);
        float[] m0 = modelOutputs[solverOrder - 1];
        float[] m1 = modelOutputs[solverOrder - 2];
        float h = lambdaT - lambdaS0;
        float h0 = lambdaS0 - lambdaS1;
        float r0 = h0 / h;
        float invR0 = 1f / r0;
        float[] x = new float[sample.length];
        if (!sde) {
            float c1 = sigmaT / sigmaS0;
            float c2 = alphaT * (Numerics.exp(-h) - 1f);
            if (!heun) {
                float c3 = 0.5f * c2;
                for (int k = 0; k < x.length; k++) {
                    float d1 = invR0 * (m0[k] - m1[k]);
                    x[k] = c1 * sample[k] - c2 * m0[k] - c3 * d1;
                }
            } else {
                float c3 = alphaT * ((Numerics.exp(-h) - 1f) / h + 1f);
                for (int k = 0; k < x.length; k++) {
                    float d1 = invR0 * (m0[k] - m1[k]);
                    x[k] = c1 * sample[k] - c2 * m0[k] + c3 * d1;
                }
            }
        } else {
            float c1 = sigmaT / sigmaS0 * Numerics.exp(-h);
            float c2 = alphaT * (1f - Numerics.exp(-2f * h));
            float c3 = heun ? alphaT * ((1f - Numerics.exp(-2f * h)) / (-2f * h) + 1f) : 0.5f * c2;
            float c4 = sigmaT * Numerics.sqrt(1f - Numerics.exp(-2f * h));
            for (int k = 0; k < x.length; k++) {
                float d1 = invR0 * (m0[k] - m1[k]);
                x[k] = c1 * sample[k] + c2 * m0[k] + c3 * d1 + c4 * z[k];
            }
        }
        return x;
    }

    private float[] thirdOrder(int i, float[] sample) {
        float alphaT = alpha(sigmas[i + 1]);
        float sigmaT = sigmas[i + 1] * alphaT;
        float alphaS0 = alpha(sigmas[i]);
        float sigmaS0 = sigmas[i] * alphaS0;
        float lambdaT = Numerics.log(alphaT) - Numerics.log(sigmaT);
        float lambdaS0 = lambda(i);
        float lambdaS1 = lambda(i - 1);
        float lambdaS2 = lambda(i - 2);
        float[] m0 = modelOutputs[2];
        float[] m1 = modelOutputs[1];
        float[] m2 = modelOutputs[0];
        float h = lambdaT - lambdaS0;
        float h0 = lambdaS0 - lambdaS1;
        float h1 = lambdaS1 - lambdaS2;
        float r0 = h0 / h;
        float r1 = h1 / h;
        float invR0 = 1f / r0;
        float invR1 = 1f / r1;
        float w = r0 / (r0 + r1);
        float invR01 = 1f / (r0 + r1);
        float eh = Numerics.exp(-h);
        float c1 = sigmaT / sigmaS0;
        float c2 = alphaT * (eh - 1f);
        float c3 = alphaT * ((eh - 1f) / h + 1f);
        float c4 = alphaT * ((eh - 1f + h) / (h * h) - 0.5f);
        float[] x = new float[sample.length];
        for (int k = 0; k < x.length; k++) {
            float d10 = invR0 * (m0[k] - m1[k]);
            float d11 = invR1 * (m1[k] - m2[k]);
            float d1 = d10 + w * (d10 - d11);
            float d2 = invR01 * (d10 - d11);
            x[k] = c1 * sample[k] - c2 * m0[k] + c3 * d1 - c4 * d2;
        }
        return x;
    }

    @Override
    public float[] addNoise(float[] original, float[] noise, int stepIndex) {
        // VP form in sigma terms, as diffusers: alpha_t = 1/sqrt(sigma^2+1), sigma_t = sigma * alpha_t
        float sigma = sigmas[stepIndex];
        float alphaT = (float) (1.0 / Math.sqrt((double) sigma * sigma + 1.0));
        float sigmaT = sigma * alphaT;
        float[] out = new float[original.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = alphaT * original[i] + sigmaT * noise[i];
        }
        return out;
    }
}

package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import studio.pixart.engine.io.ConfigException;

/**
 * SA-Solver (diffusers {@code SASolverScheduler}): a stochastic Adams predictor–corrector over
 * λ = log(α/σ) (arXiv 2309.05019). Every step first corrects the current sample with the new model
 * output (stochastic Adams–Moulton, from step 1 on), then predicts the next one (stochastic
 * Adams–Bashforth) with a fresh standard-normal draw. The stochasticity is τ(t) = 1 for
 * 200 ≤ t ≤ 800 and 0 elsewhere (the class default; a custom {@code tau_func} cannot come from
 * JSON).
 *
 * <p>The PixArt config's {@code algorithm_type="dpmsolver++"} is not an SA-Solver algorithm, so
 * swapping SA-Solver in means building it with {@code algorithm_type="data_prediction"} (see
 * {@link Schedulers#create}). Unlike DPM-Solver, the last sigma is the smallest training sigma,
 * not 0. The integral coefficients are float32 0-d tensor expressions reproduced term by term.
 */
public final class SaSolverScheduler implements Scheduler {
    public static final String CLASS_NAME = "SASolverScheduler";

    private final NoiseSchedule schedule;
    private final int predictorOrder;
    private final int correctorOrder;
    private final String predictionType;
    private final boolean predictX0;
    private final boolean lowerOrderFinal;
    private final boolean useKarras;
    private final Double sigmaMinOverride;
    private final Double sigmaMaxOverride;
    private final double lambdaMinClipped;
    private final String spacing;
    private final int stepsOffset;

    private long[] timesteps = new long[0]; // empty until setTimesteps
    private float[] sigmas;
    private final StepOrder order = new StepOrder(CLASS_NAME);
    // history (newest last) of converted model outputs and their timesteps
    private float[][] modelOutputs;
    private long[] timestepList;
    private int lowerOrderNums;
    private float[] lastSample;
    private float[] lastNoise;
    private int thisCorrectorOrder;

    public SaSolverScheduler(JsonNode config) {
        SchedulerConfig c = new SchedulerConfig(CLASS_NAME, config);
        schedule = NoiseSchedule.fromConfig(c, 0.0001, 0.02, "linear");
        if (c.bool("thresholding", false)) {
            throw c.unsupported("thresholding", "true", "false (dynamic thresholding is not implemented)");
        }
        c.rejectVarianceType();
        if (config.hasNonNull("tau_func")) {
            throw c.unsupported("tau_func", config.get("tau_func").toString(), "null (the default τ schedule)");
        }
        predictorOrder = c.integer("predictor_order", 2);
        correctorOrder = c.integer("corrector_order", 2);
        if (predictorOrder < 1 || predictorOrder > 4) {
            throw c.unsupported("predictor_order", Integer.toString(predictorOrder), "1, 2, 3, 4");
        }
        if (correctorOrder < 1 || correctorOrder > 4) {
            throw c.unsupported("corrector_order", Integer.toString(correctorOrder), "1, 2, 3, 4");
        }
        predictionType = c.oneOf("prediction_type", c.string("prediction_type", "epsilon"),
                "epsilon", "sample", "v_prediction");
        predictX0 = c.oneOf("algorithm_type", c.string("algorithm_type", "data_prediction"),
                "data_prediction", "noise_prediction").equals("data_prediction");
        lowerOrderFinal = c.bool("lower_order_final", true);
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
        sigmaMinOverride = c.optionalNumber("sigma_min");
        sigmaMaxOverride = c.optionalNumber("sigma_max");
        lambdaMinClipped = c.number("lambda_min_clipped", Double.NEGATIVE_INFINITY);
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
        StepOrder.checkSteps(CLASS_NAME, n, schedule.numTrainTimesteps, "num_train_timesteps");
        int last = schedule.lastTimestep(lambdaMinClipped);
        long[] ts;
        switch (spacing) {
            case "linspace": {
                long[] r = Numerics.reverse(Numerics.roundHalfEven(Numerics.linspace(0, last - 1, n + 1, true)));
                ts = java.util.Arrays.copyOf(r, n);
                break;
            }
            case "leading": {
                int ratio = last / (n + 1);
                ts = new long[n];
                for (int i = 0; i < n; i++) {
                    ts[i] = (long) (n - i) * ratio + stepsOffset;
                }
                break;
            }
            default: { // trailing
                double ratio = schedule.numTrainTimesteps / (double) n;
                ts = Numerics.roundHalfEven(Numerics.arange(last, 0, -ratio));
                for (int i = 0; i < ts.length; i++) {
                    ts[i] -= 1;
                }
            }
        }
        float[] train = schedule.sigmas();
        if (useKarras) {
            float[] logSigmas = schedule.logSigmas();
            double sMin = sigmaMinOverride != null ? sigmaMinOverride : train[0];
            double sMax = sigmaMaxOverride != null ? sigmaMaxOverride : train[train.length - 1];
            double[] k = Numerics.karras(sMin, sMax, n);
            ts = new long[n];
            sigmas = new float[n + 1];
            for (int i = 0; i < n; i++) {
                ts[i] = (long) Math.rint(Numerics.sigmaToT(k[i], logSigmas));
                sigmas[i] = (float) k[i];
            }
            sigmas[n] = sigmas[n - 1]; // the last Karras sigma repeated
        } else {
            sigmas = new float[ts.length + 1];
            for (int i = 0; i < ts.length; i++) {
                sigmas[i] = (float) Numerics.interp(ts[i], train);
            }
            sigmas[ts.length] = train[0]; // the smallest training sigma, not 0
        }
        timesteps = ts;
        int history = Math.max(predictorOrder, correctorOrder - 1);
        modelOutputs = new float[history][];
        timestepList = new long[history];
        lowerOrderNums = 0;
        lastSample = null;
        lastNoise = null;
        thisCorrectorOrder = 0;
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

    /** The sigma schedule (numSteps + 1 values). */
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
        return true;
    }

    private static int tau(long t) {
        return t >= 200 && t <= 800 ? 1 : 0;
    }

    private static float alpha(float sigma) {
        return 1f / Numerics.sqrt(sigma * sigma + 1f);
    }

    private float lambda(int i) {
        float a = alpha(sigmas[i]);
        float s = sigmas[i] * a;
        return Numerics.log(a) - Numerics.log(s);
    }

    @Override
    public StepResult step(float[] m, int i, float[] sample, NoiseSource noise) {
        order.check(i, timesteps.length, m, sample);
        int history = modelOutputs.length;
        boolean useCorrector = i > 0 && lastSample != null;
        float[] converted = convertModelOutput(m, i, sample);
        if (useCorrector) {
            sample = correct(converted, i, tau(timestepList[history - 1]));
        }
        System.arraycopy(modelOutputs, 1, modelOutputs, 0, history - 1);
        System.arraycopy(timestepList, 1, timestepList, 0, history - 1);
        modelOutputs[history - 1] = converted;
        timestepList[history - 1] = timesteps[i];

        float[] z = noise.standardNormal(sample.length);
        if (z.length != sample.length) {
            throw new IllegalArgumentException(CLASS_NAME + ": noise source returned " + z.length + " values");
        }
        int n = timesteps.length;
        int p = lowerOrderFinal ? Math.min(predictorOrder, n - i) : predictorOrder;
        int c = lowerOrderFinal ? Math.min(correctorOrder, n - i + 1) : correctorOrder;
        int thisPredictorOrder = Math.min(p, lowerOrderNums + 1); // warm-up of the multistep history
        thisCorrectorOrder = Math.min(c, lowerOrderNums + 2);
        lastSample = sample;
        lastNoise = z;
        float[] prev = predict(i, sample, z, thisPredictorOrder, tau(timestepList[history - 1]));
        if (lowerOrderNums < history) {
            lowerOrderNums++;
        }
        order.advance(i);
        return new StepResult(prev, predictX0 ? converted : x0FromEpsilon(converted, i, sample));
    }

    private float[] convertModelOutput(float[] m, int i, float[] sample) {
        float a = alpha(sigmas[i]);
        float s = sigmas[i] * a;
        float[] out = new float[m.length];
        for (int k = 0; k < m.length; k++) {
            if (predictX0) {
                switch (predictionType) {
                    case "epsilon":
                        out[k] = (sample[k] - s * m[k]) / a;
                        break;
                    case "sample":
                        out[k] = m[k];
                        break;
                    default: // v_prediction
                        out[k] = a * sample[k] - s * m[k];
                }
            } else {
                switch (predictionType) {
                    case "epsilon":
                        out[k] = m[k];
                        break;
                    case "sample":
                        out[k] = (sample[k] - a * m[k]) / s;
                        break;
                    default: // v_prediction
                        out[k] = a * m[k] + s * sample[k];
                }
            }
        }
        return out;
    }

    /** For the preview with noise_prediction: x0 = (x − σ_t·ε)/α_t. */
    private float[] x0FromEpsilon(float[] eps, int i, float[] sample) {
        float a = alpha(sigmas[i]);
        float s = sigmas[i] * a;
        float[] x0 = new float[eps.length];
        for (int k = 0; k < eps.length; k++) {
            x0[k] = (sample[k] - s * eps[k]) / a;
        }
        return x0;
    }

    /** Stochastic Adams–Bashforth predictor from step i to i+1. */
    private float[] predict(int i, float[] x, float[] z, int ord, int tau) {
        float alphaT = alpha(sigmas[i + 1]);
        float sigmaT = sigmas[i + 1] * alphaT;
        float alphaS0 = alpha(sigmas[i]);
        float sigmaS0 = sigmas[i] * alphaS0;
        float lambdaT = Numerics.log(alphaT) - Numerics.log(sigmaT);
        float lambdaS0 = Numerics.log(alphaS0) - Numerics.log(sigmaS0);
        float h = lambdaT - lambdaS0;
        float[] lambdas = new float[ord];
        for (int j = 0; j < ord; j++) {
            lambdas[j] = lambda(i - j);
        }
        float[] coef = coefficients(ord, lambdaS0, lambdaT, lambdas, tau);
        int k = 1 + tau * tau;
        if (predictX0 && ord == 2) {
            // order-2 modification (as in UniPC) that keeps the convergence order
            float tempLambdaS = lambda(i - 1);
            float corr = 1.0f * Numerics.exp(k * lambdaT)
                    * (h * h / 2f - (h * k - 1f + Numerics.exp(k * -h)) / (float) (k * k))
                    / (lambdaS0 - tempLambdaS);
            coef[0] += corr;
            coef[1] -= corr;
        }
        float[][] outputs = new float[ord][];
        for (int j = 0; j < ord; j++) {
            outputs[j] = modelOutputs[modelOutputs.length - 1 - j];
        }
        return combine(x, outputs, coef, z, alphaT, sigmaT, alphaS0, sigmaS0, lambdaT, h, tau);
    }

    /** Stochastic Adams–Moulton corrector of the sample at step i (predicted at step i−1). */
    private float[] correct(float[] current, int i, int tau) {
        int ord = thisCorrectorOrder;
        float alphaT = alpha(sigmas[i]);
        float sigmaT = sigmas[i] * alphaT;
        float alphaS0 = alpha(sigmas[i - 1]);
        float sigmaS0 = sigmas[i - 1] * alphaS0;
        float lambdaT = Numerics.log(alphaT) - Numerics.log(sigmaT);
        float lambdaS0 = Numerics.log(alphaS0) - Numerics.log(sigmaS0);
        float h = lambdaT - lambdaS0;
        float[] lambdas = new float[ord];
        for (int j = 0; j < ord; j++) {
            lambdas[j] = lambda(i - j);
        }
        float[] coef = coefficients(ord, lambdaS0, lambdaT, lambdas, tau);
        int k = 1 + tau * tau;
        if (predictX0 && ord == 2) {
            float corr = 1.0f * Numerics.exp(k * lambdaT)
                    * (h / 2f - (h * k - 1f + Numerics.exp(k * -h)) / ((float) (k * k) * h));
            coef[0] += corr;
            coef[1] -= corr;
        }
        // the new output first, then the history, newest first
        float[][] outputs = new float[ord][];
        outputs[0] = current;
        for (int j = 1; j < ord; j++) {
            outputs[j] = modelOutputs[modelOutputs.length - j];
        }
        return combine(lastSample, outputs, coef, lastNoise, alphaT, sigmaT, alphaS0, sigmaS0, lambdaT, h, tau);
    }

    /** x_t = decay·x + Σ_j g_j·output_j + noise term (shared by predictor and corrector). */
    private float[] combine(float[] x, float[][] outputs, float[] coef, float[] z, float alphaT, float sigmaT,
            float alphaS0, float sigmaS0, float lambdaT, float h, int tau) {
        int k = 1 + tau * tau;
        int ord = outputs.length;
        float[] g = new float[ord];
        float decay;
        float noiseCoef;
        if (predictX0) {
            for (int j = 0; j < ord; j++) {
                g[j] = k * sigmaT * Numerics.exp(-(tau * tau) * lambdaT) * coef[j];
            }
            noiseCoef = sigmaT * Numerics.sqrt(1f - Numerics.exp(-2 * tau * tau * h));
            decay = Numerics.exp(-(tau * tau) * h) * (sigmaT / sigmaS0);
        } else {
            for (int j = 0; j < ord; j++) {
                g[j] = -k * alphaT * coef[j];
            }
            noiseCoef = tau * sigmaT * Numerics.sqrt(Numerics.exp(2 * h) - 1f);
            decay = alphaT / alphaS0;
        }
        float[] out = new float[x.length];
        for (int e = 0; e < out.length; e++) {
            float grad = 0f;
            for (int j = 0; j < ord; j++) {
                grad += g[j] * outputs[j][e];
            }
            out[e] = decay * x[e] + grad + noiseCoef * z[e];
        }
        return out;
    }

    /** Integral coefficients: Lagrange basis over {@code lambdas} times the exponential moments. */
    private float[] coefficients(int ord, float start, float end, float[] lambdas, int tau) {
        float[][] lag = lagrange(lambdas);
        float[] moments = new float[ord];
        for (int p = 0; p < ord; p++) {
            moments[p] = predictX0 ? expPositive(p, start, end, tau) : expNegative(p, start, end);
        }
        float[] coef = new float[ord];
        for (int i = 0; i < ord; i++) {
            float c = 0f;
            for (int j = 0; j < ord; j++) {
                c += lag[i][j] * moments[ord - 1 - j];
            }
            coef[i] = c;
        }
        return coef;
    }

    /**
     * Coefficients (highest power first) of the Lagrange basis polynomials through
     * {@code lambdas}, in diffusers' evaluation order.
     */
    private static float[][] lagrange(float[] l) {
        int n = l.length;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            float[] o = new float[n - 1];
            for (int j = 0, q = 0; j < n; j++) {
                if (j != i) {
                    o[q++] = l[j];
                }
            }
            if (n == 1) {
                out[i] = new float[] {1f};
                continue;
            }
            float d = l[i] - o[0];
            for (int q = 1; q < o.length; q++) {
                d = d * (l[i] - o[q]);
            }
            switch (n) {
                case 2:
                    out[i] = new float[] {1f / d, -o[0] / d};
                    break;
                case 3:
                    out[i] = new float[] {1f / d, (-o[0] - o[1]) / d, o[0] * o[1] / d};
                    break;
                default:
                    out[i] = new float[] {1f / d, (-o[0] - o[1] - o[2]) / d,
                        (o[0] * o[1] + o[0] * o[2] + o[1] * o[2]) / d, -o[0] * o[1] * o[2] / d};
            }
        }
        return out;
    }

    /** ∫ exp(x(1+τ²)) x^p dx from start to end, after the change of variables. */
    private static float expPositive(int p, float start, float end, int tau) {
        int k = 1 + tau * tau;
        float e = k * end;
        float s = k * start;
        float ee = Numerics.exp(e);
        float decay = Numerics.exp(-(e - s));
        switch (p) {
            case 0:
                return ee * (1f - decay) / k;
            case 1:
                return ee * ((e - 1f) - (s - 1f) * decay) / (float) (k * k);
            case 2:
                return ee * ((e * e - 2f * e + 2f) - (s * s - 2f * s + 2f) * decay) / (float) (k * k * k);
            default:
                return ee * ((e * e * e - 3f * (e * e) + 6f * e - 6f)
                        - (s * s * s - 3f * (s * s) + 6f * s - 6f) * decay) / (float) (k * k * k * k);
        }
    }

    /** ∫ exp(−x) x^p dx from start to end. */
    private static float expNegative(int p, float start, float end) {
        float en = Numerics.exp(-end);
        float grow = Numerics.exp(end - start);
        switch (p) {
            case 0:
                return en * (grow - 1f);
            case 1:
                return en * ((start + 1f) * grow - (end + 1f));
            case 2:
                return en * ((start * start + 2f * start + 2f) * grow - (end * end + 2f * end + 2f));
            default:
                return en * ((start * start * start + 3f * (start * start) + 6f * start + 6f) * grow
                        - (end * end * end + 3f * (end * end) + 6f * end + 6f));
        }
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

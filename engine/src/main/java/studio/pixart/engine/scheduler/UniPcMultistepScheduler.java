package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * UniPC (diffusers {@code UniPCMultistepScheduler}): a multistep predictor (UniP) whose result is
 * refined one step later by a corrector (UniC) that reuses the model output at the new point, so
 * it costs one model call per step like DPM-Solver++.
 *
 * <p>Swapped in from PixArt's config the class sees {@code solver_type="midpoint"}, which diffusers
 * maps to {@code bh2} (B(h) = e^{−h} − 1 in data-prediction mode); {@code predict_x0=True},
 * solver_order 2, lower_order_final (here without DPM's "fewer than 15 steps" condition: the last
 * step is always first order). Timesteps and sigmas are DPM-Solver++'s ({@link TimestepSpacing#multistep}).
 *
 * <p>Arithmetic follows diffusers: coefficients are float32 0-d tensor operations, the small
 * linear systems for the ρ weights are solved in float32 (LU with partial pivoting, as LAPACK's
 * {@code sgesv}), and the update is evaluated term by term in float32. At the final sigma 0,
 * h = +∞ and the first-order predictor returns the x0 prediction.
 */
public final class UniPcMultistepScheduler implements Scheduler {
    public static final String CLASS_NAME = "UniPCMultistepScheduler";

    private final NoiseSchedule schedule;
    private final int solverOrder;
    private final String predictionType;
    private final boolean predictX0;
    private final boolean bh1;
    private final boolean lowerOrderFinal;
    private final long[] disableCorrector;
    private final boolean useKarras;
    private final boolean finalSigmaZero;
    private final String spacing;
    private final int stepsOffset;

    private long[] timesteps = new long[0]; // empty until setTimesteps
    private float[] sigmas;
    private final StepOrder order = new StepOrder(CLASS_NAME);
    // solver history: converted model outputs of the last solverOrder steps, newest last
    private float[][] modelOutputs;
    private int lowerOrderNums;
    private int thisOrder;
    private float[] lastSample;

    public UniPcMultistepScheduler(JsonNode config) {
        SchedulerConfig c = new SchedulerConfig(CLASS_NAME, config);
        schedule = NoiseSchedule.fromConfig(c, 0.0001, 0.02, "linear");
        c.rejectCommonUnsupported();
        solverOrder = c.integer("solver_order", 2);
        if (solverOrder < 1 || solverOrder > 3) {
            throw c.unsupported("solver_order", Integer.toString(solverOrder), "1, 2, 3");
        }
        predictionType = c.oneOf("prediction_type", c.string("prediction_type", "epsilon"),
                "epsilon", "sample", "v_prediction");
        predictX0 = c.bool("predict_x0", true);
        String solverType = c.string("solver_type", "bh2");
        if ("midpoint".equals(solverType) || "heun".equals(solverType) || "logrho".equals(solverType)) {
            solverType = "bh2"; // diffusers re-registers DPM/DEIS solver types as bh2
        }
        bh1 = c.oneOf("solver_type", solverType, "bh1", "bh2").equals("bh1");
        lowerOrderFinal = c.bool("lower_order_final", true);
        double[] disabled = c.optionalNumbers("disable_corrector");
        disableCorrector = new long[disabled == null ? 0 : disabled.length];
        for (int i = 0; i < disableCorrector.length; i++) {
            disableCorrector[i] = (long) disabled[i];
        }
        if (!c.isNull("solver_p") && config.has("solver_p")) {
            throw c.unsupported("solver_p", config.get("solver_p").toString(), "null (UniC on UniP only)");
        }
        useKarras = c.bool("use_karras_sigmas", false);
        if (c.bool("use_exponential_sigmas", false)) {
            throw c.unsupported("use_exponential_sigmas", "true", "false");
        }
        if (c.bool("use_beta_sigmas", false)) {
            throw c.unsupported("use_beta_sigmas", "true", "false");
        }
        if (c.bool("use_flow_sigmas", false)) {
            throw c.unsupported("use_flow_sigmas", "true", "false");
        }
        finalSigmaZero = c.oneOf("final_sigmas_type", c.string("final_sigmas_type", "zero"),
                "zero", "sigma_min").equals("zero");
        if (!predictX0 && finalSigmaZero) {
            // noise prediction multiplies σ_t = 0 by e^h − 1 = ∞ on the last step: diffusers ends in NaN
            throw c.unsupported("predict_x0", "false with final_sigmas_type \"zero\"",
                    "true, or final_sigmas_type \"sigma_min\" (the last step would give NaN)");
        }
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
        TimestepSpacing.Multistep m = TimestepSpacing.multistep(schedule, n, schedule.numTrainTimesteps,
                spacing, stepsOffset, useKarras, false, null, null, finalSigmaZero);
        timesteps = m.timesteps();
        sigmas = m.sigmas();
        modelOutputs = new float[solverOrder][];
        lowerOrderNums = 0;
        thisOrder = 0;
        lastSample = null;
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
        return false;
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
    public StepResult step(float[] modelOutput, int i, float[] sample, NoiseSource noise) {
        order.check(i, timesteps.length, modelOutput, sample);
        boolean useCorrector = i > 0 && lastSample != null && !correctorDisabled(i - 1);
        float[] converted = convertModelOutput(modelOutput, i, sample);
        float[] x = sample;
        if (useCorrector) {
            x = correct(converted, i, lastSample, sample, thisOrder);
        }
        System.arraycopy(modelOutputs, 1, modelOutputs, 0, solverOrder - 1);
        modelOutputs[solverOrder - 1] = converted;
        int o = lowerOrderFinal ? Math.min(solverOrder, timesteps.length - i) : solverOrder;
        thisOrder = Math.min(o, lowerOrderNums + 1); // warm-up: no more history than steps taken
        lastSample = x;
        float[] prev = predict(i, x, thisOrder);
        if (lowerOrderNums < solverOrder) {
            lowerOrderNums++;
        }
        order.advance(i);
        return new StepResult(prev, predictX0 ? converted : x0FromEpsilon(converted, i, sample));
    }

    private boolean correctorDisabled(int stepIndex) {
        for (long d : disableCorrector) {
            if (d == stepIndex) {
                return true;
            }
        }
        return false;
    }

    /** The data prediction x0 (predict_x0) or the noise prediction ε the solver works with. */
    private float[] convertModelOutput(float[] m, int i, float[] sample) {
        float sigma = sigmas[i];
        float a = alpha(sigma);
        float s = sigma * a;
        float[] out = new float[m.length];
        switch (predictionType) {
            case "epsilon":
                if (predictX0) {
                    for (int k = 0; k < m.length; k++) {
                        out[k] = (sample[k] - s * m[k]) / a;
                    }
                } else {
                    System.arraycopy(m, 0, out, 0, m.length);
                }
                break;
            case "sample":
                if (predictX0) {
                    System.arraycopy(m, 0, out, 0, m.length);
                } else {
                    for (int k = 0; k < m.length; k++) {
                        out[k] = (sample[k] - a * m[k]) / s;
                    }
                }
                break;
            default: // v_prediction
                for (int k = 0; k < m.length; k++) {
                    out[k] = predictX0 ? a * sample[k] - s * m[k] : a * m[k] + s * sample[k];
                }
        }
        return out;
    }

    private float[] x0FromEpsilon(float[] eps, int i, float[] sample) {
        float a = alpha(sigmas[i]);
        float s = sigmas[i] * a;
        float[] x0 = new float[eps.length];
        for (int k = 0; k < x0.length; k++) {
            x0[k] = (sample[k] - s * eps[k]) / a;
        }
        return x0;
    }

    /**
     * The B(h) coefficients shared by predictor and corrector: {@code b} (length {@code order}),
     * h·φ₁ = e^{hh} − 1 and B(h), with hh = −h in data-prediction mode.
     */
    private record Coefficients(float[] b, float hPhi1, float bh) {}

    private Coefficients coefficients(float h, int ord) {
        float hh = predictX0 ? -h : h;
        float hPhi1 = (float) Math.expm1(hh);
        float hPhiK = hPhi1 / hh - 1f;
        float bh = bh1 ? hh : (float) Math.expm1(hh);
        float[] b = new float[ord];
        long factorial = 1;
        for (int k = 1; k <= ord; k++) {
            b[k - 1] = hPhiK * factorial / bh;
            factorial *= k + 1;
            hPhiK = hPhiK / hh - (float) (1.0 / factorial);
        }
        return new Coefficients(b, hPhi1, bh);
    }

    /** R[row][k] = rks[k]^row for the given ratios (the last ratio is 1). */
    private static float[][] powers(float[] rks, int rows) {
        float[][] r = new float[rows][rks.length];
        for (int row = 0; row < rows; row++) {
            for (int k = 0; k < rks.length; k++) {
                r[row][k] = row == 0 ? 1f : (row == 1 ? rks[k] : rks[k] * rks[k]);
            }
        }
        return r;
    }

    /** UniP: the predictor of order {@code ord} from step {@code i} to {@code i + 1}. */
    private float[] predict(int i, float[] x, int ord) {
        float alphaT = alpha(sigmas[i + 1]);
        float sigmaT = sigmas[i + 1] * alphaT;
        float alphaS0 = alpha(sigmas[i]);
        float sigmaS0 = sigmas[i] * alphaS0;
        float lambdaT = Numerics.log(alphaT) - Numerics.log(sigmaT);
        float lambdaS0 = Numerics.log(alphaS0) - Numerics.log(sigmaS0);
        float h = lambdaT - lambdaS0;
        float[] m0 = modelOutputs[solverOrder - 1];
        float[] rks = new float[ord];
        float[][] d1s = new float[ord - 1][];
        for (int k = 1; k < ord; k++) {
            float[] mk = modelOutputs[solverOrder - 1 - k];
            rks[k - 1] = (lambda(i - k) - lambdaS0) / h;
            d1s[k - 1] = differences(mk, m0, rks[k - 1]);
        }
        rks[ord - 1] = 1f;
        Coefficients c = coefficients(h, ord);
        float[] rhos = null;
        if (ord == 2) {
            rhos = new float[] {0.5f};
        } else if (ord > 2) {
            rhos = solve(powers(rks, ord - 1), c.b(), ord - 1);
        }
        float[] out = new float[x.length];
        float c1 = predictX0 ? sigmaT / sigmaS0 : alphaT / alphaS0;
        float c2 = (predictX0 ? alphaT : sigmaT) * c.hPhi1();
        float c3 = (predictX0 ? alphaT : sigmaT) * c.bh();
        for (int k = 0; k < out.length; k++) {
            float xt = c1 * x[k] - c2 * m0[k];
            if (rhos != null) {
                out[k] = xt - c3 * weighted(rhos, d1s, k);
            } else {
                out[k] = xt;
            }
        }
        return out;
    }

    /**
     * UniC: corrects {@code thisSample} (the predictor's result for step {@code i}) with the model
     * output at it, {@code modelT}, using the history before step {@code i} and the sample the
     * predictor started from.
     */
    private float[] correct(float[] modelT, int i, float[] last, float[] thisSample, int ord) {
        float alphaT = alpha(sigmas[i]);
        float sigmaT = sigmas[i] * alphaT;
        float alphaS0 = alpha(sigmas[i - 1]);
        float sigmaS0 = sigmas[i - 1] * alphaS0;
        float lambdaT = Numerics.log(alphaT) - Numerics.log(sigmaT);
        float lambdaS0 = Numerics.log(alphaS0) - Numerics.log(sigmaS0);
        float h = lambdaT - lambdaS0;
        float[] m0 = modelOutputs[solverOrder - 1];
        float[] rks = new float[ord];
        float[][] d1s = new float[ord - 1][];
        for (int k = 1; k < ord; k++) {
            float[] mk = modelOutputs[solverOrder - 1 - k];
            rks[k - 1] = (lambda(i - (k + 1)) - lambdaS0) / h;
            d1s[k - 1] = differences(mk, m0, rks[k - 1]);
        }
        rks[ord - 1] = 1f;
        Coefficients c = coefficients(h, ord);
        float[] rhos = ord == 1 ? new float[] {0.5f} : solve(powers(rks, ord), c.b(), ord);
        float[] out = new float[thisSample.length];
        float c1 = predictX0 ? sigmaT / sigmaS0 : alphaT / alphaS0;
        float c2 = (predictX0 ? alphaT : sigmaT) * c.hPhi1();
        float c3 = (predictX0 ? alphaT : sigmaT) * c.bh();
        float rhoT = rhos[ord - 1];
        for (int k = 0; k < out.length; k++) {
            float xt = c1 * last[k] - c2 * m0[k];
            float d1t = modelT[k] - m0[k];
            float res = ord > 1 ? weighted(rhos, d1s, k) + rhoT * d1t : rhoT * d1t;
            out[k] = xt - c3 * res;
        }
        return out;
    }

    private static float[] differences(float[] mk, float[] m0, float rk) {
        float[] d = new float[m0.length];
        for (int k = 0; k < d.length; k++) {
            d[k] = (mk[k] - m0[k]) / rk;
        }
        return d;
    }

    /** Σ_j rhos[j]·d1s[j][k] over the history differences (einsum "k,bkc->bc"). */
    private static float weighted(float[] rhos, float[][] d1s, int k) {
        float s = rhos[0] * d1s[0][k];
        for (int j = 1; j < d1s.length; j++) {
            s += rhos[j] * d1s[j][k];
        }
        return s;
    }

    /** Solves the leading {@code n}×{@code n} system a·x = b in float32 by LU with partial pivoting. */
    static float[] solve(float[][] a, float[] b, int n) {
        float[][] m = new float[n][n + 1];
        for (int r = 0; r < n; r++) {
            System.arraycopy(a[r], 0, m[r], 0, n);
            m[r][n] = b[r];
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) {
                    pivot = r;
                }
            }
            float[] tmp = m[col];
            m[col] = m[pivot];
            m[pivot] = tmp;
            for (int r = col + 1; r < n; r++) {
                float f = m[r][col] / m[col][col];
                for (int k = col; k <= n; k++) {
                    m[r][k] -= f * m[col][k];
                }
            }
        }
        float[] x = new float[n];
        for (int r = n - 1; r >= 0; r--) {
            float s = m[r][n];
            for (int k = r + 1; k < n; k++) {
                s -= m[r][k] * x[k];
            }
            x[r] = s / m[r][r];
        }
        return x;
    }

    @Override
    public float[] addNoise(float[] original, float[] noise, int stepIndex) {
        order.checkIndex(stepIndex, timesteps.length);
        float sigma = sigmas[stepIndex];
        float alphaT = alpha(sigma);
        float sigmaT = sigma * alphaT;
        float[] out = new float[original.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = alphaT * original[i] + sigmaT * noise[i];
        }
        return out;
    }
}

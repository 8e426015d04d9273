package studio.pixart.engine.scheduler;

/**
 * The numpy (float64) and torch (float32) building blocks the diffusers schedulers are written
 * in, reproduced operation by operation so that timesteps come out identical and coefficients
 * round the same way.
 *
 * <p>Java {@code float} arithmetic is IEEE single precision with one rounding per operation, the
 * same as torch's CPU kernels for 0-d float32 tensors; {@code double} arithmetic is numpy's float64.
 */
final class Numerics {
    private Numerics() {}

    // ---- torch float32 scalar ops (0-d float32 tensors) -------------------------------------

    static float sqrt(float x) {
        return (float) Math.sqrt(x); // correctly rounded, equals sqrtf
    }

    static float log(float x) {
        return (float) Math.log(x);
    }

    static float exp(float x) {
        return (float) Math.exp(x);
    }

    /**
     * {@code torch.linspace(start, end, steps, dtype=float32)} on the CPU with AVX2 kernels: the
     * step is computed in float, the first half counts up from {@code start}, the second half
     * down from {@code end}, and the vectorised loop fills 8 lanes as {@code base + lane·step}.
     * The compiler contracts {@code start + step·idx} into a fused multiply-add (verified
     * bit-exact against the golden betas; without the FMA 168 of 1000 betas differ by an ulp).
     */
    static float[] torchLinspace(double start, double end, int steps) {
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = (float) start;
            return out;
        }
        float s = (float) start;
        float e = (float) end;
        float step = (e - s) / (steps - 1);
        int halfway = steps / 2;
        final int lanes = 8;
        int i = 0;
        // vectorised part: pairs of 8-lane vectors while 16 or more elements remain
        for (; i + 2 * lanes <= steps; i += lanes) {
            float base = linspaceAt(s, e, step, i, steps, halfway);
            for (int l = 0; l < lanes; l++) {
                out[i + l] = base + l * step;
            }
            i += lanes;
            base = linspaceAt(s, e, step, i, steps, halfway);
            for (int l = 0; l < lanes; l++) {
                out[i + l] = base + l * step;
            }
        }
        for (; i < steps; i++) {
            out[i] = linspaceAt(s, e, step, i, steps, halfway);
        }
        return out;
    }

    private static float linspaceAt(float s, float e, float step, int i, int steps, int halfway) {
        return i < halfway ? Math.fma(step, (float) i, s) : Math.fma(-step, (float) (steps - i - 1), e);
    }

    // ---- numpy float64 ---------------------------------------------------------------------

    /** {@code np.linspace(start, stop, num, endpoint)} in float64. */
    static double[] linspace(double start, double stop, int num, boolean endpoint) {
        double[] y = new double[num];
        int div = endpoint ? num - 1 : num;
        double delta = stop - start;
        if (div > 0) {
            double step = delta / div;
            for (int i = 0; i < num; i++) {
                y[i] = step == 0 ? i / (double) div * delta + start : i * step + start;
            }
        } else {
            for (int i = 0; i < num; i++) {
                y[i] = i * delta + start;
            }
        }
        if (endpoint && num > 1) {
            y[num - 1] = stop;
        }
        return y;
    }

    /**
     * {@code np.arange(start, stop, step)} in float64: length {@code ceil((stop - start) / step)},
     * values {@code start + i·((start + step) − start)} (numpy fills from the first two entries).
     */
    static double[] arange(double start, double stop, double step) {
        double len = Math.ceil((stop - start) / step);
        int n = len > 0 ? (int) len : 0;
        double[] y = new double[n];
        if (n == 0) {
            return y;
        }
        y[0] = start;
        if (n > 1) {
            double delta = (start + step) - start;
            for (int i = 1; i < n; i++) {
                y[i] = start + i * delta;
            }
        }
        return y;
    }

    /** numpy's {@code round}: half to even. */
    static long[] roundHalfEven(double[] x) {
        long[] out = new long[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (long) Math.rint(x[i]);
        }
        return out;
    }

    static long[] reverse(long[] x) {
        long[] out = new long[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[x.length - 1 - i];
        }
        return out;
    }

    static double[] reverse(double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[x.length - 1 - i];
        }
        return out;
    }

    /** {@code np.interp(x, arange(len(fp)), fp)} in float64 (fp float32 widened). */
    static double interp(double x, float[] fp) {
        int n = fp.length;
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < 0) {
            return fp[0];
        }
        if (x >= n - 1) {
            return fp[n - 1];
        }
        int j = (int) Math.floor(x);
        if (j == x) {
            return fp[j];
        }
        double slope = ((double) fp[j + 1] - (double) fp[j]) / ((j + 1) - (double) j);
        double r = slope * (x - j) + fp[j];
        if (Double.isNaN(r)) {
            r = slope * (x - (j + 1)) + fp[j + 1];
            if (Double.isNaN(r) && fp[j] == fp[j + 1]) {
                r = fp[j];
            }
        }
        return r;
    }

    /**
     * diffusers' {@code _sigma_to_t}: the (fractional) training timestep whose log-sigma matches,
     * by linear interpolation in log-sigma ({@code logSigmas} ascending with t, float32).
     */
    static double sigmaToT(double sigma, float[] logSigmas) {
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        // low = argmax(cumsum(dists >= 0)): the first index where the running count peaks
        int count = 0;
        int best = 0;
        int lowIdx = 0;
        for (int i = 0; i < logSigmas.length; i++) {
            if (logSigma - logSigmas[i] >= 0) {
                count++;
            }
            if (count > best) {
                best = count;
                lowIdx = i;
            }
        }
        lowIdx = Math.min(lowIdx, logSigmas.length - 2);
        int highIdx = lowIdx + 1;
        double low = logSigmas[lowIdx];
        double high = logSigmas[highIdx];
        double w = (low - logSigma) / (low - high);
        w = Math.min(Math.max(w, 0), 1);
        return (1 - w) * lowIdx + w * highIdx;
    }

    /** Karras et al. (2022) noise levels, rho = 7, from sigmaMax down to sigmaMin (float64). */
    static double[] karras(double sigmaMin, double sigmaMax, int n) {
        double rho = 7.0;
        double[] ramp = linspace(0, 1, n, true);
        double minInvRho = Math.pow(sigmaMin, 1 / rho);
        double maxInvRho = Math.pow(sigmaMax, 1 / rho);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), rho);
        }
        return out;
    }
}

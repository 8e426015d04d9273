package studio.pixart.engine.scheduler;

/**
 * The timestep grids and sigma tables several schedulers share, each written once here (diffusers
 * repeats them as "Copied from" blocks): the float grid of the Euler family and the integer grid
 * plus sigmas of the multistep solvers (DPM-Solver++, UniPC).
 */
final class TimestepSpacing {
    private TimestepSpacing() {}

    /**
     * The Euler family's float32 timesteps (values held in doubles, as numpy after
     * {@code astype(float32)}): linspace over [0, train − 1] reversed, leading
     * {@code (n−1−i)·(train // n) + offset}, or trailing {@code round(arange(train, 0, −train/n)) − 1}.
     */
    static double[] eulerTimesteps(String spacing, int train, int n, int stepsOffset) {
        double[] ts;
        switch (spacing) {
            case "linspace":
                ts = Numerics.reverse(Numerics.linspace(0, train - 1, n, true));
                for (int i = 0; i < ts.length; i++) {
                    ts[i] = (float) ts[i];
                }
                return ts;
            case "leading": {
                int ratio = train / n;
                ts = new double[n];
                for (int i = 0; i < n; i++) {
                    ts[i] = (float) ((float) ((long) (n - 1 - i) * ratio) + stepsOffset);
                }
                return ts;
            }
            default: { // trailing
                double[] a = Numerics.arange(train, 0, -(train / (double) n));
                ts = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    ts[i] = (float) ((float) Math.rint(a[i]) - 1f);
                }
                return ts;
            }
        }
    }

    /** Integer timesteps and their sigmas (numSteps + 1 values, the last the final sigma). */
    record Multistep(long[] timesteps, float[] sigmas) {}

    /**
     * The multistep solvers' schedule: integer timesteps on the spacing's grid over the first
     * {@code last} training timesteps, sigmas interpolated in t on the training sigmas, or, with
     * Karras or Lu sigmas, those sigmas and the nearest timesteps ({@code round(sigma_to_t)}).
     * The final sigma is 0 or the first training sigma.
     *
     * @param sigmaMin config {@code sigma_min} (Karras only; null = the smallest training sigma)
     * @param sigmaMax config {@code sigma_max} (Karras only; null = the largest training sigma)
     */
    static Multistep multistep(NoiseSchedule schedule, int n, int last, String spacing, int stepsOffset,
                               boolean karras, boolean luLambdas, Double sigmaMin, Double sigmaMax,
                               boolean finalSigmaZero) {
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
                    ts[i] = (long) (n - i) * ratio + stepsOffset; // arange(0, n+1)·ratio reversed, last dropped
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
        double[] sig;
        if (karras || luLambdas) {
            float[] logSigmas = schedule.logSigmas();
            if (karras) {
                double sMin = sigmaMin != null ? sigmaMin : train[0];
                double sMax = sigmaMax != null ? sigmaMax : train[train.length - 1];
                sig = Numerics.karras(sMin, sMax, n);
            } else {
                // uniform in log-SNR: linear from the largest to the smallest log-sigma
                double lMin = logSigmas[0];
                double lMax = logSigmas[logSigmas.length - 1];
                double[] ramp = Numerics.linspace(0, 1, n, true);
                sig = new double[n];
                for (int i = 0; i < n; i++) {
                    sig[i] = Math.exp(lMax + ramp[i] * (lMin - lMax));
                }
            }
            ts = new long[n];
            for (int i = 0; i < n; i++) {
                ts[i] = (long) Math.rint(Numerics.sigmaToT(sig[i], logSigmas));
            }
        } else {
            sig = new double[ts.length];
            for (int i = 0; i < ts.length; i++) {
                sig[i] = Numerics.interp(ts[i], train);
            }
        }
        float[] sigmas = new float[sig.length + 1];
        for (int i = 0; i < sig.length; i++) {
            sigmas[i] = (float) sig[i];
        }
        // final sigma: 0, or the first training sigma (computed as a float32 tensor)
        sigmas[sig.length] = finalSigmaZero ? 0f : train[0];
        return new Multistep(ts, sigmas);
    }
}

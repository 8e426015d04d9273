package studio.pixart.engine.scheduler;

/**
 * The training noise schedule every scheduler starts from: {@code betas} and
 * {@code alphas_cumprod} (float32, exactly as torch computes them), and the quantities derived
 * from them the solvers use.
 */
final class NoiseSchedule {
    final int numTrainTimesteps;
    final float[] betas;
    /** {@code cumprod(1 − betas)}; torch accumulates a float32 cumprod in double. */
    final float[] alphasCumprod;

    private NoiseSchedule(float[] betas) {
        for (int i = 0; i < betas.length; i++) {
            // a non-finite or out-of-range beta poisons every step; say so here, not as a NaN image
            if (!(betas[i] >= 0f && betas[i] < 1f)) {
                throw new studio.pixart.engine.io.ConfigException("scheduler config: beta " + i + " = " + betas[i]
                        + " is not in [0, 1): check beta_start, beta_end, beta_schedule or trained_betas");
            }
        }
        this.numTrainTimesteps = betas.length;
        this.betas = betas;
        this.alphasCumprod = new float[betas.length];
        double acc = 1;
        for (int i = 0; i < betas.length; i++) {
            acc *= 1.0f - betas[i];
            alphasCumprod[i] = (float) acc;
        }
    }

    /**
     * Reads {@code num_train_timesteps}, {@code beta_start}, {@code beta_end},
     * {@code beta_schedule} and {@code trained_betas} with the class's defaults.
     */
    static NoiseSchedule fromConfig(SchedulerConfig c, double defStart, double defEnd, String defSchedule) {
        int n = c.integer("num_train_timesteps", 1000);
        if (n < 2 || n > 100_000) {
            throw c.invalid("num_train_timesteps", Integer.toString(n), "between 2 and 100000");
        }
        double start = c.number("beta_start", defStart);
        double end = c.number("beta_end", defEnd);
        double[] trained = c.optionalNumbers("trained_betas");
        if (trained != null) {
            float[] betas = new float[trained.length];
            for (int i = 0; i < betas.length; i++) {
                betas[i] = (float) trained[i];
            }
            if (betas.length != n) {
                throw c.invalid("trained_betas", "a list of " + betas.length,
                        "num_train_timesteps (" + n + ") values");
            }
            return new NoiseSchedule(betas);
        }
        String schedule = c.string("beta_schedule", defSchedule);
        switch (schedule == null ? "null" : schedule) {
            case "linear":
                return new NoiseSchedule(Numerics.torchLinspace(start, end, n));
            case "scaled_linear": {
                float[] b = Numerics.torchLinspace(Math.sqrt(start), Math.sqrt(end), n);
                for (int i = 0; i < n; i++) {
                    b[i] = b[i] * b[i];
                }
                return new NoiseSchedule(b);
            }
            case "squaredcos_cap_v2": {
                // Glide cosine schedule, computed in Python floats then stored as float32
                float[] b = new float[n];
                for (int i = 0; i < n; i++) {
                    double t1 = i / (double) n;
                    double t2 = (i + 1) / (double) n;
                    b[i] = (float) Math.min(1 - cosineAlphaBar(t2) / cosineAlphaBar(t1), 0.999);
                }
                return new NoiseSchedule(b);
            }
            default:
                throw c.unsupported("beta_schedule", schedule == null ? "null" : "\"" + schedule + "\"",
                        "linear, scaled_linear, squaredcos_cap_v2");
        }
    }

    private static double cosineAlphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /** Training sigmas {@code ((1 − ᾱ)/ᾱ) ** 0.5} as float32 torch computes them. */
    float[] sigmas() {
        float[] s = new float[numTrainTimesteps];
        for (int i = 0; i < s.length; i++) {
            float a = alphasCumprod[i];
            s[i] = Numerics.sqrt((1 - a) / a);
        }
        return s;
    }

    /** {@code np.log(sigmas)} (float32). */
    float[] logSigmas() {
        float[] s = sigmas();
        for (int i = 0; i < s.length; i++) {
            s[i] = Numerics.log(s[i]);
        }
        return s;
    }

    /**
     * The number of usable training timesteps after clipping λ(t) = log α − log σ at
     * {@code lambdaMinClipped} (diffusers' {@code searchsorted} on the flipped λ table).
     */
    int lastTimestep(double lambdaMinClipped) {
        // searchsorted(left) on flip(lambda): count of (ascending) values strictly below the bound
        int clipped = 0;
        for (int i = numTrainTimesteps - 1; i >= 0; i--) {
            float a = alphasCumprod[i];
            float lambda = Numerics.log(Numerics.sqrt(a)) - Numerics.log(Numerics.sqrt(1 - a));
            if (lambda < lambdaMinClipped) {
                clipped++;
            } else {
                break;
            }
        }
        return numTrainTimesteps - clipped;
    }
}

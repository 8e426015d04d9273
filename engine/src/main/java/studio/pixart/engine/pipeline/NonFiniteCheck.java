package studio.pixart.engine.pipeline;

/**
 * Stops a generation at the first non-finite value and says where it came from, instead of
 * letting NaN flow to the VAE and surface as a puzzling decode error after the whole loop.
 * Checked after the text encoder and after every denoising step (a pass over the latents: cheap
 * next to a transformer evaluation): a non-finite noise prediction blames the transformer (its
 * weights, {@code norm_eps}) or the text embeddings; finite predictions with non-finite latents
 * blame the scheduler (its betas).
 */
public final class NonFiniteCheck {
    private NonFiniteCheck() {}

    /** A generation stopped by a non-finite value; the message names the step and the component. */
    public static final class NonFiniteException extends IllegalStateException {
        NonFiniteException(String message) {
            super(message);
        }
    }

    static final String ADVICE = "run `pixart inspect --deep MODEL` to find NaN/Inf weights and config values";

    public static void textEmbeddings(float[] embeds, String which) {
        int at = firstNonFinite(embeds);
        if (at >= 0) {
            throw new NonFiniteException("the text encoder produced " + describe(embeds[at]) + " in the " + which
                    + " embeddings (value " + at + "): its weights or config (layer_norm_epsilon) are broken; " + ADVICE);
        }
    }

    /**
     * @param step 0-based index of the step just taken; @param noisePred the guided model output;
     * @param latents the scheduler's new latents
     */
    public static void afterStep(int step, int total, float[] noisePred, float[] latents) {
        int at = firstNonFinite(noisePred);
        if (at >= 0) {
            throw new NonFiniteException("step " + (step + 1) + "/" + total + ": the transformer's noise prediction holds "
                    + describe(noisePred[at]) + " (value " + at + " of " + noisePred.length + "): the transformer's "
                    + "weights or config (norm_eps) are broken, or the text embeddings are; " + ADVICE);
        }
        at = firstNonFinite(latents);
        if (at >= 0) {
            throw new NonFiniteException("step " + (step + 1) + "/" + total + ": the scheduler step turned finite "
                    + "predictions into " + describe(latents[at]) + " latents (value " + at + "): check "
                    + "scheduler/scheduler_config.json (beta_start, beta_end, trained_betas); " + ADVICE);
        }
    }

    static int firstNonFinite(float[] a) {
        for (int i = 0; i < a.length; i++) {
            // v - v is 0 for finite v and NaN for NaN or ±Inf: one branch per element
            float v = a[i];
            if (v - v != 0f) {
                return i;
            }
        }
        return -1;
    }

    private static String describe(float v) {
        return Float.isNaN(v) ? "NaN" : (v > 0 ? "+Infinity" : "-Infinity");
    }
}

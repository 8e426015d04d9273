package studio.pixart.engine.plan;

import java.util.Locale;

/**
 * How much memory a run may spend for speed, chosen from the machine's RAM ({@link #auto}) or by
 * {@code --memory}. Each mode is a set of concrete options; none of them changes pixels except
 * the float16 VAE on a GPU in {@link #LOW}, which falls back to float32 by itself when it
 * overflows.
 *
 * @param attentionBudgetBytes the largest attention score (and feed-forward) chunk on the CPU; on a
 *     GPU the planner may lower it to what its free memory allows
 * @param vaeTileBudgetBytes the largest VAE tile's working memory (an image that fits is decoded untiled)
 * @param releaseTextEncoder free T5 after the prompts are encoded (the embedding cache keeps them)
 * @param t5Copied on the CPU, hold T5 converted and resident (fast for new prompts) instead of reading
 *     each block from the mapped files when it runs
 * @param vaeFloat16OnGpu decode in float16 on a GPU (retried in float32 on NaN/Inf)
 */
public enum MemoryMode {
    LOW(128L << 20, 750_000_000L, true, false, true),
    BALANCED(512L << 20, 1_500_000_000L, true, false, false),
    HIGH(1L << 30, 3_000_000_000L, false, true, false);

    /** RAM below which the automatic choice is {@link #LOW}: a 1024 px image must fit 8 GB. */
    public static final long LOW_BELOW = 12L << 30;
    /** RAM from which the automatic choice is {@link #HIGH}. */
    public static final long HIGH_FROM = 48L << 30;

    public final long attentionBudgetBytes;
    public final long vaeTileBudgetBytes;
    public final boolean releaseTextEncoder;
    public final boolean t5Copied;
    public final boolean vaeFloat16OnGpu;

    MemoryMode(long attentionBudgetBytes, long vaeTileBudgetBytes, boolean releaseTextEncoder, boolean t5Copied,
               boolean vaeFloat16OnGpu) {
        this.attentionBudgetBytes = attentionBudgetBytes;
        this.vaeTileBudgetBytes = vaeTileBudgetBytes;
        this.releaseTextEncoder = releaseTextEncoder;
        this.t5Copied = t5Copied;
        this.vaeFloat16OnGpu = vaeFloat16OnGpu;
    }

    /** The mode for a machine with {@code ramTotal} bytes of RAM. */
    public static MemoryMode auto(long ramTotal) {
        if (ramTotal <= 0 || ramTotal < LOW_BELOW) {
            return LOW;
        }
        return ramTotal >= HIGH_FROM ? HIGH : BALANCED;
    }

    /** Why {@link #auto} chose a mode, for the plan's text. */
    public static String autoReason(long ramTotal) {
        MemoryMode m = auto(ramTotal);
        String ram = ramTotal <= 0 ? "unknown RAM" : ExecutionPlan.gb(ramTotal) + " RAM";
        return switch (m) {
            case LOW -> "automatic: " + ram + " (< " + ExecutionPlan.gb(LOW_BELOW) + ")";
            case BALANCED -> "automatic: " + ram + " (" + ExecutionPlan.gb(LOW_BELOW) + " – " + ExecutionPlan.gb(HIGH_FROM) + ")";
            case HIGH -> "automatic: " + ram + " (≥ " + ExecutionPlan.gb(HIGH_FROM) + ")";
        };
    }

    /** {@code auto} (null) or a mode name; anything else is an error that lists the choices. */
    public static MemoryMode parse(String s) {
        if (s == null || s.isBlank() || s.equalsIgnoreCase("auto")) {
            return null;
        }
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--memory must be auto, low, balanced or high, got '" + s + "'");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

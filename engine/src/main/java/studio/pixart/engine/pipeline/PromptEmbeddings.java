package studio.pixart.engine.pipeline;

/**
 * Encoded prompts as plain Java arrays (no native memory): the T5 output for each row, its
 * attention mask and ids, plus token accounting for the UI.
 *
 * @param embeds (rows, length, dim) row-major float32
 */
public record PromptEmbeddings(int rows, int length, int dim, float[] embeds, long[] attentionMask, long[] inputIds,
                               int[] tokenCounts, boolean[] truncated) {

    /** Rows repeated {@code n} times each, in order: [r0, r0, r1, r1] (diffusers ≥ 0.32 behaviour). */
    public PromptEmbeddings repeatEach(int n) {
        if (n == 1) {
            return this;
        }
        int per = length * dim;
        float[] e = new float[rows * n * per];
        long[] m = new long[rows * n * length];
        long[] ids = new long[rows * n * length];
        int[] tc = new int[rows * n];
        boolean[] tr = new boolean[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < n; k++) {
                int dst = r * n + k;
                System.arraycopy(embeds, r * per, e, dst * per, per);
                System.arraycopy(attentionMask, r * length, m, dst * length, length);
                System.arraycopy(inputIds, r * length, ids, dst * length, length);
                tc[dst] = tokenCounts[r];
                tr[dst] = truncated[r];
            }
        }
        return new PromptEmbeddings(rows * n, length, dim, e, m, ids, tc, tr);
    }

    /** Stacks two sets of rows: [this..., other...] (CFG order is [negative, positive]). */
    public PromptEmbeddings concat(PromptEmbeddings other) {
        if (other.length != length || other.dim != dim) {
            throw new IllegalArgumentException("cannot stack embeddings of different shapes");
        }
        float[] e = new float[embeds.length + other.embeds.length];
        System.arraycopy(embeds, 0, e, 0, embeds.length);
        System.arraycopy(other.embeds, 0, e, embeds.length, other.embeds.length);
        long[] m = new long[attentionMask.length + other.attentionMask.length];
        System.arraycopy(attentionMask, 0, m, 0, attentionMask.length);
        System.arraycopy(other.attentionMask, 0, m, attentionMask.length, other.attentionMask.length);
        long[] ids = new long[inputIds.length + other.inputIds.length];
        System.arraycopy(inputIds, 0, ids, 0, inputIds.length);
        System.arraycopy(other.inputIds, 0, ids, inputIds.length, other.inputIds.length);
        int[] tc = new int[rows + other.rows];
        System.arraycopy(tokenCounts, 0, tc, 0, rows);
        System.arraycopy(other.tokenCounts, 0, tc, rows, other.rows);
        boolean[] tr = new boolean[rows + other.rows];
        System.arraycopy(truncated, 0, tr, 0, rows);
        System.arraycopy(other.truncated, 0, tr, rows, other.rows);
        return new PromptEmbeddings(rows + other.rows, length, dim, e, m, ids, tc, tr);
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive). */
    public PromptEmbeddings slice(int from, int to) {
        if (from < 0 || to > rows || from > to) {
            throw new IllegalArgumentException("rows " + from + ".." + to + " of " + rows);
        }
        int per = length * dim;
        return new PromptEmbeddings(to - from, length, dim, java.util.Arrays.copyOfRange(embeds, from * per, to * per),
                java.util.Arrays.copyOfRange(attentionMask, from * length, to * length),
                java.util.Arrays.copyOfRange(inputIds, from * length, to * length),
                java.util.Arrays.copyOfRange(tokenCounts, from, to), java.util.Arrays.copyOfRange(truncated, from, to));
    }

    public float[] row(int r) {
        return java.util.Arrays.copyOfRange(embeds, r * length * dim, (r + 1) * length * dim);
    }
}

package studio.pixart.engine.transformer;

/** Floating-point operations of one PixArt transformer evaluation, counted from the shapes (for benchmarks and time estimates). */
public final class StepFlops {
    private StepFlops() {}

    /** FLOPs split into dense layers and attention products. */
    public record Count(double linear, double attention) {
        public double total() {
            return linear + attention;
        }
    }

    /**
     * FLOPs of one transformer evaluation, counted from the shapes (1 multiply-add = 2 FLOPs;
     * element-wise work — norms, modulation, GELU, softmax — is left out, it is a few % at most).
     * With N = image tokens (latent h/p · w/p), D = hidden width, L = text tokens, B = batch:
     * <pre>
     * patch embedding      N · (C_in·p²) · D
     * caption projection   L · (4096·D + D·D)                  (two linears)
     * timestep embedding   256·D + D·D + D·6D                  (MLP + adaLN-single table)
     * per block (× layers):
     *   self-attention     4 · N · D²                          (Q, K, V, out projections; the
     *                                                           engine projects K/V before pooling)
     *                      2 · N · N' · D                      (scores Q·Kᵀ and weights·V, N' = N/r²
     *                                                           in KV-compressed layers, else N)
     *   cross-attention    2 · N · D²  +  2 · L · D²           (Q, out on the image; K, V on the text)
     *                      2 · N · L · D                       (scores and values over all L tokens:
     *                                                           the mask is an additive bias)
     *   feed-forward       2 · N · D · 4D                      (D → 4D → D)
     * final layer          N · D · (p²·C_out)
     * FLOPs = 2 · B · Σ multiply-adds
     * </pre>
     */
    public static Count count(TransformerConfig c, int latentH, int latentW, int textLen, int batch, TransformerOptions opts) {
        double p = c.patchSize();
        double n = (latentH / c.patchSize()) * (double) (latentW / c.patchSize());
        double d = c.innerDim();
        double l = textLen;
        double linear = n * c.inChannels() * p * p * d
                + l * (c.captionChannels() * d + d * d)
                + 256 * d + d * d + d * 6 * d
                + n * d * p * p * c.outChannels();
        double attention = 0;
        java.util.Set<Integer> compressed = opts.kvCompression().enabled() ? opts.kvCompression().layersFor(c.numLayers()) : java.util.Set.<Integer>of();
        int r = opts.kvCompression().ratio();
        for (int layer = 0; layer < c.numLayers(); layer++) {
            double keys = compressed.contains(layer) ? Math.ceil(latentH / c.patchSize() / (double) r)
                    * Math.ceil(latentW / c.patchSize() / (double) r) : n;
            linear += 4 * n * d * d + 2 * n * d * d + 2 * l * d * d + 2 * n * d * 4 * d;
            attention += 2 * n * keys * d + 2 * n * l * d;
        }
        return new Count(2 * batch * linear, 2 * batch * attention);
    }
}

package studio.pixart.engine.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import studio.pixart.engine.nd.Torch;

/**
 * Tiled VAE decode and encode for images too large to run through the VAE at once (4K posters).
 *
 * <p>The latent grid is covered by overlapping tiles; each tile is decoded (or, for encode, its
 * pixels are encoded) on its own, and the results are blended with separable linear (feathered)
 * weights across each overlap: a tile's weight rises from ≈0 at an edge it shares with a
 * neighbour to 1 where the overlap ends, so the two tiles' weights sum to 1 and the border
 * pixels, which saw zero padding instead of their neighbours, count least. Outputs are
 * accumulated in plain Java arrays and normalised by the weight sum at the end.
 *
 * <p>GroupNorm statistics are computed per tile, so a tiled result differs slightly from the
 * untiled one (measured in {@code TiledVaeTest}); an image that fits in one tile is processed
 * untiled and gives exactly the untiled result.
 *
 * <p><b>Memory bound.</b> An image whose untiled decode fits the budget is decoded untiled.
 * Otherwise the tile size is the largest square latent tile (at most {@value #MAX_AUTO_TILE}
 * cells, see there) whose estimated peak
 * native memory ({@link #estimateDecodeBytes}/{@link #estimateEncodeBytes}) stays within
 * {@link TileOptions#memoryBudgetBytes()} (default {@value #DEFAULT_BUDGET_BYTES} bytes = 1.5 GB).
 * The estimate is {@code SLACK · bytesPerElement · B · maxₗ Pₗ·kₗ + attention scores}, where
 * Pₗ is the pixel count of the tile at level l and kₗ the number of channel-planes alive there
 * at once: inside a resnet block the input, the normalised input, the conv output and the
 * shortcut projection (2·c_in + 2·c_out), after an upsample the upsampled copy and its conv output (2·c) plus the
 * low-resolution input, at the mid-block the q/k/v projections plus one chunk of attention
 * scores (≤ 16 M elements). SLACK = {@value #SLACK} covers libtorch's convolution workspace
 * and allocator caching (calibrated with {@code TiledVaeBench}). Outside the budget: the
 * full-size output kept in Java ({@code 4·B·C·H·W} bytes, twice while the result NDArray is
 * created) and the weights. Measured for a 3840×2160 decode with the real SDXL-VAE widths
 * (68×68 latent tiles, estimate 1.46 GB): process peak RSS 2.10 GB = 0.19 GB JVM + libtorch
 * baseline, 0.33 GB weights, 0.13 GB output/weight-sum arrays and ≈ 1.45 GB for the tile.
 */
public final class TiledVae {
    public static final long DEFAULT_BUDGET_BYTES = 1_500_000_000L;
    static final double SLACK = 1.5;
    private static final long ATTENTION_CHUNK_ELEMENTS = 16L << 20;
    /** Smallest latent tile the automatic choice goes down to (64 pixels at 8×). */
    static final int MIN_TILE = 8;
    /**
     * Largest latent tile the automatic choice goes up to when the image must be tiled at all
     * (1024 pixels at 8×, the SDXL VAE's
     * training size and diffusers' default tile): the mid-block attention is quadratic in the
     * tile area, so beyond this tiles get slower per pixel even when memory would allow them.
     */
    static final int MAX_AUTO_TILE = 64; // 512 px at 8×, as diffusers' tiled VAE

    private TiledVae() {}

    /**
     * Tile size and overlap in latent cells (0 = choose automatically: the largest tile within
     * the memory budget, overlap a quarter of the tile).
     */
    public record TileOptions(int tile, int overlap, long memoryBudgetBytes, int maxUntiledArea) {
        public TileOptions {
            if (tile < 0 || overlap < 0 || memoryBudgetBytes <= 0) {
                throw new IllegalArgumentException("tile and overlap must be ≥ 0 and the budget > 0");
            }
            if (tile > 0 && overlap > 0 && 2 * overlap > tile) {
                throw new IllegalArgumentException("overlap " + overlap + " must be at most half the tile " + tile);
            }
        }

        /**
         * As {@link #auto()}, but images above {@code latentCells} latent cells are tiled even when
         * they fit the memory budget: the mid-block attention grows with the square of the area,
         * so on a CPU a 4K decode is only practical in tiles (0 = no such limit).
         */
        public TileOptions withMaxUntiledArea(int latentCells) {
            return new TileOptions(tile, overlap, memoryBudgetBytes, latentCells);
        }

        public static TileOptions auto() {
            return new TileOptions(0, 0, DEFAULT_BUDGET_BYTES, 0);
        }

        public static TileOptions budget(long bytes) {
            return new TileOptions(0, 0, bytes, 0);
        }

        public static TileOptions fixed(int tile, int overlap) {
            return new TileOptions(tile, overlap, DEFAULT_BUDGET_BYTES, 0);
        }
    }

    /** Progress: called after each tile with the number of finished tiles and the total. */
    @FunctionalInterface
    public interface TileListener {
        void tileDone(int done, int total);
    }

    /** One tile along one axis: latent cells [start, end) and the overlaps with its neighbours. */
    record Span(int start, int end, int overlapBefore, int overlapAfter) {
        int length() {
            return end - start;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Decode
    // ------------------------------------------------------------------------------------------

    /**
     * z (B, latent, h, w), already unscaled ({@link AutoencoderKL#unscaleLatents}) →
     * (B, out, h·f, w·f) float32 in z's manager.
     */
    public static NDArray decodeTiled(AutoencoderKL vae, NDArray z, TileOptions options, TileListener listener,
            BooleanSupplier cancelled) {
        VaeConfig c = vae.config();
        Shape s = z.getShape();
        if (s.dimension() != 4 || s.get(1) != c.latentChannels()) {
            throw new IllegalArgumentException("decodeTiled expects latents (B, " + c.latentChannels() + ", h, w), got " + s);
        }
        int b = (int) s.get(0);
        int[] tile = chooseTile(options, (int) s.get(2), (int) s.get(3),
                (th, tw) -> estimateDecodeBytes(c, b, th, tw, bytesOf(vae.dtype())));
        return blend(z, (int) s.get(2), (int) s.get(3), 1, c.scaleFactor(), c.outChannels(), tile, vae::decode,
                listener, cancelled, "decode");
    }

    /**
     * Estimated peak native bytes of decoding a latent tile th×tw (see the class comment):
     * per up level l (deepest first) Pₗ = th·tw·4ˡ pixels; a resnet keeps 2·c_in + 2·c_out
     * planes, an upsample c·Pₗ + 2·c·4Pₗ; the mid-block 5·c₀ planes plus one score chunk.
     */
    public static long estimateDecodeBytes(VaeConfig c, int batch, int th, int tw, int bytesPerElement) {
        int[] widths = c.blockOutChannels();
        int n = widths.length;
        double p0 = (double) th * tw;
        int deepest = widths[n - 1];
        double peak = p0 * 5 * deepest;
        double attention = Math.min(p0 * p0 * batch, ATTENTION_CHUNK_ELEMENTS);
        int in = deepest;
        for (int l = 0; l < n; l++) {
            int out = widths[n - 1 - l];
            double p = p0 * Math.pow(4, l);
            peak = Math.max(peak, p * (2.0 * in + 2.0 * out));
            if (l < n - 1) {
                peak = Math.max(peak, p * out + 2.0 * out * 4 * p);
            }
            in = out;
        }
        double last = p0 * Math.pow(4, n - 1);
        peak = Math.max(peak, last * (2.0 * widths[0] + c.outChannels()));
        return (long) (SLACK * bytesPerElement * (batch * peak + attention));
    }

    /** What a decode or encode of an h×w latent grid will do: its tile and the tile's working memory. */
    public record Estimate(int tileHeight, int tileWidth, boolean tiled, long workBytes) {}

    /** The tile {@link #decodeTiled} chooses for an h×w latent grid with {@code options}, and its estimate. */
    public static Estimate planDecode(VaeConfig c, int batch, int h, int w, TileOptions options, int bytesPerElement) {
        int[] t = chooseTile(options, h, w, (th, tw) -> estimateDecodeBytes(c, batch, th, tw, bytesPerElement));
        return new Estimate(t[0], t[1], t[0] < h || t[1] < w, estimateDecodeBytes(c, batch, t[0], t[1], bytesPerElement));
    }

    /** As {@link #planDecode}, for {@link #encodeTiled} of the pixels of an h×w latent grid. */
    public static Estimate planEncode(VaeConfig c, int batch, int h, int w, TileOptions options, int bytesPerElement) {
        int[] t = chooseTile(options, h, w, (th, tw) -> estimateEncodeBytes(c, batch, th, tw, bytesPerElement));
        return new Estimate(t[0], t[1], t[0] < h || t[1] < w, estimateEncodeBytes(c, batch, t[0], t[1], bytesPerElement));
    }

    // ------------------------------------------------------------------------------------------
    // Encode
    // ------------------------------------------------------------------------------------------

    /**
     * image (B, in, H, W) in [−1, 1], H and W multiples of the scale factor → the encoder's
     * moments; the raw [mean | logvar] maps are blended, then split and clamped as untiled.
     */
    public static AutoencoderKL.Moments encodeTiled(AutoencoderKL vae, NDArray image, TileOptions options,
            TileListener listener, BooleanSupplier cancelled) {
        VaeConfig c = vae.config();
        Shape s = image.getShape();
        int f = c.scaleFactor();
        if (s.dimension() != 4 || s.get(1) != c.inChannels()) {
            throw new IllegalArgumentException("encodeTiled expects images (B, " + c.inChannels() + ", H, W), got " + s);
        }
        if (s.get(2) % f != 0 || s.get(3) % f != 0) {
            throw new IllegalArgumentException("encodeTiled needs height and width divisible by " + f + ", got " + s);
        }
        int b = (int) s.get(0);
        int h = (int) (s.get(2) / f);
        int w = (int) (s.get(3) / f);
        int[] tile = chooseTile(options, h, w, (th, tw) -> estimateEncodeBytes(c, b, th, tw, bytesOf(vae.dtype())));
        try (NDArray raw = blend(image, h, w, f, 1, 2 * c.latentChannels(), tile, vae::encodeRaw, listener,
                cancelled, "encode")) {
            return AutoencoderKL.Moments.split(raw);
        }
    }

    /**
     * Estimated peak native bytes of encoding the pixels of latent tile th×tw: per down level l
     * Pₗ = th·tw·4^(n−1−l) pixels, a resnet keeps 2·c_in + 2·c_out planes, a downsample its input,
     * the padded copy and a quarter-size output; the mid-block as for decode.
     */
    public static long estimateEncodeBytes(VaeConfig c, int batch, int th, int tw, int bytesPerElement) {
        int[] widths = c.blockOutChannels();
        int n = widths.length;
        double pLatent = (double) th * tw;
        double peak = pLatent * Math.pow(4, n - 1) * (c.inChannels() + widths[0]);
        int in = widths[0];
        for (int l = 0; l < n; l++) {
            double p = pLatent * Math.pow(4, n - 1 - l);
            peak = Math.max(peak, p * (2.0 * in + 2.0 * widths[l]));
            if (l < n - 1) {
                peak = Math.max(peak, p * widths[l] * 2.25);
            }
            in = widths[l];
        }
        peak = Math.max(peak, pLatent * 5 * widths[n - 1]);
        double attention = Math.min(pLatent * pLatent * batch, ATTENTION_CHUNK_ELEMENTS);
        return (long) (SLACK * bytesPerElement * (batch * peak + attention));
    }

    // ------------------------------------------------------------------------------------------
    // Tiling and blending
    // ------------------------------------------------------------------------------------------

    /** {tileH, tileW, overlap} in latent cells for an h×w latent grid. */
    static int[] chooseTile(TileOptions o, int h, int w, java.util.function.BiFunction<Integer, Integer, Long> estimate) {
        int t = o.tile();
        boolean smallEnough = o.maxUntiledArea() <= 0 || (long) h * w <= o.maxUntiledArea();
        if (t == 0 && smallEnough && estimate.apply(h, w) <= o.memoryBudgetBytes()) {
            // Fits the budget: one tile, exactly the untiled result.
            t = Math.max(h, w);
        } else if (t == 0) {
            t = Math.min(Math.max(h, w), MAX_AUTO_TILE);
            while (t > MIN_TILE && estimate.apply(Math.min(t, h), Math.min(t, w)) > o.memoryBudgetBytes()) {
                t--;
            }
        }
        int overlap = o.overlap() > 0 ? o.overlap() : Math.max(1, t / 4);
        overlap = Math.min(overlap, t / 2);
        return new int[] {Math.min(t, h), Math.min(t, w), overlap};
    }

    /**
     * Spans of length {@code tile} covering [0, n) with at least {@code overlap} cells shared by
     * neighbours: the fewest tiles that do so, spread evenly (the last one ends exactly at n).
     */
    static List<Span> spans(int n, int tile, int overlap) {
        List<Span> out = new ArrayList<>();
        if (n <= tile) {
            out.add(new Span(0, n, 0, 0));
            return out;
        }
        int stride = Math.max(1, tile - overlap);
        int count = (int) Math.ceil((double) (n - tile) / stride) + 1;
        int[] starts = new int[count];
        for (int k = 0; k < count; k++) {
            starts[k] = (int) Math.round((double) k * (n - tile) / (count - 1));
        }
        for (int k = 0; k < count; k++) {
            int before = k == 0 ? 0 : starts[k - 1] + tile - starts[k];
            int after = k == count - 1 ? 0 : starts[k] + tile - starts[k + 1];
            out.add(new Span(starts[k], starts[k] + tile, before, after));
        }
        return out;
    }

    /**
     * Feathering weights of one span in output units (scale per latent cell): linear from
     * 0.5/L to 1 − 0.5/L across an overlap of L output units with each neighbour, 1 elsewhere.
     */
    static float[] ramp(Span s, int scale) {
        int len = s.length() * scale;
        int before = s.overlapBefore() * scale;
        int after = s.overlapAfter() * scale;
        float[] w = new float[len];
        for (int i = 0; i < len; i++) {
            double v = 1;
            if (i < before) {
                v *= (i + 0.5) / before;
            }
            if (i >= len - after) {
                v *= (len - i - 0.5) / after;
            }
            w[i] = (float) v;
        }
        return w;
    }

    private static NDArray blend(NDArray input, int h, int w, int inScale, int outScale, int outChannels, int[] tile,
            Function<NDArray, NDArray> run, TileListener listener, BooleanSupplier cancelled, String what) {
        List<Span> rows = spans(h, tile[0], tile[2]);
        List<Span> cols = spans(w, tile[1], tile[2]);
        NDManager caller = input.getManager();
        int b = (int) input.getShape().get(0);
        if (rows.size() == 1 && cols.size() == 1) {
            checkCancelled(cancelled, what, 0, 1);
            NDArray out = run.apply(input);
            notify(listener, 1, 1);
            return out;
        }
        int outH = h * outScale;
        int outW = w * outScale;
        long plane = (long) outH * outW;
        float[] acc = new float[Math.toIntExact(b * outChannels * plane)];
        float[] weightSum = new float[Math.toIntExact(plane)];
        int total = rows.size() * cols.size();
        int done = 0;
        for (Span r : rows) {
            float[] wy = ramp(r, outScale);
            for (Span c : cols) {
                checkCancelled(cancelled, what, done, total);
                float[] wx = ramp(c, outScale);
                float[] t;
                try (NDManager sub = caller.newSubManager()) {
                    NDArray piece = input.get(sub, new NDIndex(":, :, {}:{}, {}:{}", r.start() * inScale,
                            r.end() * inScale, c.start() * inScale, c.end() * inScale));
                    NDArray result = run.apply(piece);
                    t = result.toType(DataType.FLOAT32, false).toFloatArray();
                }
                accumulate(acc, weightSum, t, wy, wx, b * outChannels, r.start() * outScale, c.start() * outScale, outW, plane);
                done++;
                notify(listener, done, total);
            }
        }
        for (int ch = 0; ch < b * outChannels; ch++) {
            int base = Math.toIntExact(ch * plane);
            for (int p = 0; p < plane; p++) {
                acc[base + p] /= weightSum[p];
            }
        }
        return Torch.owned(caller, acc, new Shape(b, outChannels, outH, outW));
    }

    private static void accumulate(float[] acc, float[] weightSum, float[] tile, float[] wy, float[] wx, int planes,
            int y0, int x0, int outW, long plane) {
        int th = wy.length;
        int tw = wx.length;
        for (int i = 0; i < th; i++) {
            int row = (y0 + i) * outW + x0;
            for (int j = 0; j < tw; j++) {
                weightSum[row + j] += wy[i] * wx[j];
            }
        }
        for (int ch = 0; ch < planes; ch++) {
            long base = ch * plane;
            int src = ch * th * tw;
            for (int i = 0; i < th; i++) {
                int row = (int) (base + (long) (y0 + i) * outW + x0);
                float wi = wy[i];
                for (int j = 0; j < tw; j++) {
                    acc[row + j] += tile[src + i * tw + j] * wi * wx[j];
                }
            }
        }
    }

    private static void checkCancelled(BooleanSupplier cancelled, String what, int done, int total) {
        if (cancelled != null && cancelled.getAsBoolean()) {
            throw new CancellationException("tiled " + what + " cancelled after " + done + " of " + total + " tiles");
        }
    }

    private static void notify(TileListener listener, int done, int total) {
        if (listener != null) {
            listener.tileDone(done, total);
        }
    }

    private static int bytesOf(DataType t) {
        return t.getNumOfBytes();
    }
}

package studio.pixart.engine.preview;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.PixArtPipeline;
import studio.pixart.engine.vae.AutoencoderKL;

/**
 * Turns each step's x0 estimate into previews: the fast latent→RGB projection every step, and a
 * real VAE decode of the x0 latents, down-sampled so the preview's long side is at most
 * {@link #VAE_PREVIEW_MAX_SIDE} px, whenever the time spent on VAE previews stays within
 * {@link #VAE_BUDGET} of the loop's time so far (the first step always gets one, so the person
 * sees a real picture early). Runs on the engine worker between steps.
 */
public final class PreviewRenderer {
    /**
     * Long side of a VAE preview. The VAE's cost is linear in pixels and a full 512 px SDXL-VAE
     * decode costs about as much as a 512 px XL step (`pixart bench --preview vae`), so previews
     * are decoded from latents pooled by 2, 4, …: 1024 px and 512 px images preview at 256 px,
     * 768 px at 384 px — in the 256–384 px range and ≤ 1/4 of a full decode.
     */
    public static final int VAE_PREVIEW_MAX_SIDE = 384;
    public static final double VAE_BUDGET = 0.20;

    public record Rendered(PreviewKind kind, int imageIndex, RgbImage image) {}

    private final AutoencoderKL vae;
    private final GenerationRequest.PreviewMode mode;
    private final LatentPreview fast;
    private long loopStart = System.nanoTime();
    private long vaeNanos;
    private long fastNanos;

    public PreviewRenderer(PixArtPipeline pipeline, GenerationRequest.PreviewMode mode) {
        this(pipeline.vae(), mode);
    }

    /** Previews decoded by {@code vae} (the pipeline's, or any VAE of the same latent space). */
    public PreviewRenderer(AutoencoderKL vae, GenerationRequest.PreviewMode mode) {
        this.vae = vae;
        this.mode = mode;
        this.fast = LatentPreview.forScalingFactor((float) vae.config().scalingFactor());
    }

    /** Marks the start of the denoising loop: the VAE budget is a share of the loop's time only. */
    public void startLoop() {
        loopStart = System.nanoTime();
    }

    public void render(PixArtPipeline.StepState s, BooleanSupplier cancelled, Consumer<Rendered> out) {
        if (mode == GenerationRequest.PreviewMode.NONE || s.predOriginal() == null) {
            return;
        }
        int c = s.latentShape()[1];
        int h = s.latentShape()[2];
        int w = s.latentShape()[3];
        boolean last = s.index() == s.total() - 1;
        if (mode == GenerationRequest.PreviewMode.FAST || mode == GenerationRequest.PreviewMode.BOTH) {
            long t = System.nanoTime();
            out.accept(new Rendered(PreviewKind.FAST, 0, fastPreview(s.predOriginal(), c, h, w)));
            fastNanos += System.nanoTime() - t;
        }
        if (mode == GenerationRequest.PreviewMode.VAE || mode == GenerationRequest.PreviewMode.BOTH) {
            long elapsed = System.nanoTime() - loopStart;
            boolean within = s.index() == 0 || vaeNanos <= VAE_BUDGET * (elapsed - vaeNanos);
            if ((within || last) && !cancelled.getAsBoolean()) {
                long t = System.nanoTime();
                out.accept(new Rendered(PreviewKind.VAE, 0, vaePreview(s.predOriginal(), c, h, w)));
                vaeNanos += System.nanoTime() - t;
            }
        }
    }

    /** The fast preview of image 0 of a (B, c, h, w) x0 batch: h × w pixels. */
    public RgbImage fastPreview(float[] x0, int c, int h, int w) {
        return fast.project(x0, c, h, w, 0);
    }

    /**
     * The VAE preview of image 0: its x0 latents average-pooled by a power-of-two factor until the
     * decoded long side is at most {@link #VAE_PREVIEW_MAX_SIDE} (the VAE's cost is linear in the
     * pixels: each halving is 4× cheaper), unscaled, decoded and clamped like the final image.
     */
    public RgbImage vaePreview(float[] x0, int c, int h, int w) {
        int scale = vae.config().scaleFactor();
        int factor = 1;
        while (Math.max(h, w) * scale / factor > VAE_PREVIEW_MAX_SIDE && Math.min(h, w) / (factor * 2) >= 1) {
            factor *= 2;
        }
        int ph = h / factor;
        int pw = w / factor;
        float sf = (float) vae.config().scalingFactor();
        float shift = (float) vae.config().shiftFactor();
        float[] z = new float[c * ph * pw];
        float norm = 1f / (factor * factor);
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < ph; y++) {
                for (int x = 0; x < pw; x++) {
                    float sum = 0;
                    for (int dy = 0; dy < factor; dy++) {
                        for (int dx = 0; dx < factor; dx++) {
                            sum += x0[ch * h * w + (y * factor + dy) * w + x * factor + dx];
                        }
                    }
                    z[ch * ph * pw + y * pw + x] = sum * norm / sf + shift;
                }
            }
        }
        float[] decoded;
        // Same path as the pipeline's final decode; every tensor dies with this manager.
        try (NDManager m = Torch.newManager()) {
            NDArray zt = m.create(z, new Shape(1, c, ph, pw)).toDevice(vae.device(), false);
            decoded = vae.decode(zt).toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false).toFloatArray();
        }
        return PixArtPipeline.toImage(decoded, ph * scale, pw * scale);
    }

    public long totalMillis() {
        return (vaeNanos + fastNanos) / 1_000_000;
    }
}

package studio.pixart.engine.preview;

import studio.pixart.engine.image.RgbImage;

/**
 * The fast preview: a linear map from the 4 latent channels to RGB, applied to the scheduler's x0
 * estimate every step (cost: one multiply-add per latent value, far below a step). The factors are
 * the widely used least-squares fits of VAE-decoded RGB against latents published with ComfyUI
 * ({@code comfy/latent_formats.py}: {@code SD15.latent_rgb_factors} for the SD VAE of PixArt-α,
 * {@code SDXL.latent_rgb_factors} and its bias for the SDXL VAE of PixArt-Σ); they apply to
 * latents in the diffusion model's space (before dividing by the scaling factor) and give values
 * in about [-1, 1].
 */
public final class LatentPreview {
    /** rows = latent channels, columns = R, G, B. */
    private static final float[][] SDXL = {
            {0.3651f, 0.4232f, 0.4341f},
            {-0.2533f, -0.0042f, 0.1068f},
            {0.1076f, 0.1111f, -0.0362f},
            {-0.3165f, -0.2492f, -0.2188f}};
    private static final float[] SDXL_BIAS = {0.1084f, -0.0175f, -0.0011f};

    private static final float[][] SD = {
            {0.3512f, 0.2297f, 0.3227f},
            {0.3250f, 0.4974f, 0.2350f},
            {-0.2829f, 0.1762f, 0.2721f},
            {-0.2120f, -0.2616f, -0.7177f}};
    private static final float[] SD_BIAS = {0f, 0f, 0f};

    private final float[][] factors;
    private final float[] bias;

    private LatentPreview(float[][] factors, float[] bias) {
        this.factors = factors;
        this.bias = bias;
    }

    /** SDXL factors for the SDXL VAE (scaling 0.13025), SD factors for the SD VAE (0.18215). */
    public static LatentPreview forScalingFactor(float scalingFactor) {
        return Math.abs(scalingFactor - 0.18215f) < 1e-4 ? new LatentPreview(SD, SD_BIAS) : new LatentPreview(SDXL, SDXL_BIAS);
    }

    /**
     * Projects image {@code index} of a (B, 4, h, w) latent batch to an RGB image of h × w pixels.
     * Latents with other than 4 channels use the first 4.
     */
    public RgbImage project(float[] latents, int channels, int h, int w, int index) {
        int plane = h * w;
        int base = index * channels * plane;
        float[] rgb = new float[plane * 3];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                float v = bias[c];
                for (int k = 0; k < Math.min(4, channels); k++) {
                    v += latents[base + k * plane + i] * factors[k][c];
                }
                float u = (v + 1f) / 2f;
                rgb[3 * i + c] = u < 0f ? 0f : (u > 1f ? 1f : u);
            }
        }
        return new RgbImage(w, h, rgb);
    }
}

package studio.pixart.engine.pipeline;

import studio.pixart.engine.image.RgbImage;

/**
 * Where a generation starts from an image instead of pure noise (image to image), and optionally
 * which part of it is repainted (inpainting).
 *
 * <p>The image is fitted to the generated size (scaled to cover, Lanczos, centre-cropped), VAE
 * encoded and noised to step ⌊steps·(1 − strength)⌋ with the request's seeded noise; the last
 * ⌊steps·strength⌋ steps are run, as diffusers' img2img. Strength 1 starts from (almost) pure
 * noise: the encoded image weighs √ᾱ of the first timestep (≈ 0.07 for PixArt's schedule).
 * Strength 0, or any strength that leaves no whole step, runs no step and returns the image's VAE
 * round trip.
 *
 * <p>Inpainting is the training-free method that works with any PixArt checkpoint (diffusers'
 * inpainting pipeline with a 4-channel model): the mask is fitted like the image, thresholded at
 * 0.5 and taken to the latent grid, where a cell is repainted when any of its pixels is; after
 * every step the kept cells are replaced by the encoded image noised to the next step's level
 * (after the last step: the encoded image itself), so only the masked region is generated while it
 * is denoised in the context of the rest. After decoding, the kept pixels are the start image's
 * own (the VAE decoder's group norms and attention see the whole image and would shift them).
 *
 * @param image    the start image, any size
 * @param strength in [0, 1]: how much of the schedule is run (0 = keep the image, 1 = repaint all)
 * @param mask     null for image to image; else an image of the start image's size, white (mean of
 *                 R, G, B ≥ 0.5) = repaint, black = keep
 */
public record ImageToImage(RgbImage image, double strength, RgbImage mask) {
    public ImageToImage {
        if (image == null) {
            throw new IllegalArgumentException("image to image needs a start image");
        }
        if (!(strength >= 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength must be between 0 and 1, got " + strength);
        }
        if (mask != null && (mask.width() != image.width() || mask.height() != image.height())) {
            throw new IllegalArgumentException("the mask is " + mask.width() + "x" + mask.height()
                    + " but the start image is " + image.width() + "x" + image.height() + ": they must be the same size");
        }
    }

    /** Image to image without a mask. */
    public static ImageToImage of(RgbImage image, double strength) {
        return new ImageToImage(image, strength, null);
    }

    public boolean inpainting() {
        return mask != null;
    }

    /** The first step run for a schedule of {@code steps} steps ({@code steps} = none: the round trip). */
    public int firstStep(int steps) {
        return steps - Math.min((int) (steps * strength), steps);
    }
}

package studio.pixart.app.vm;

import studio.pixart.engine.image.RgbImage;

/**
 * Where a generation starts from: an image, how much of it is repainted (strength 0 keeps it, 1
 * repaints all) and, for inpainting, a mask of the image's size (white = repaint, black = keep).
 *
 * @param source           what the image is ("history #12", "canvas", a file name) for the form and the queue
 * @param inpaintRequested inpainting is on (a null mask then means nothing is painted yet)
 */
public record StartImage(RgbImage image, double strength, RgbImage mask, String source, boolean inpaintRequested) {
    public StartImage {
        if (image == null) {
            throw new IllegalArgumentException("a start image is needed");
        }
        if (!(strength >= 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength must be between 0 and 1, got " + strength);
        }
        if (mask != null && (mask.width() != image.width() || mask.height() != image.height())) {
            throw new IllegalArgumentException("the mask is " + mask.width() + "x" + mask.height() + " but the image is "
                    + image.width() + "x" + image.height());
        }
    }
}

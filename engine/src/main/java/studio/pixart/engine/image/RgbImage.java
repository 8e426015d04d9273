package studio.pixart.engine.image;

import java.awt.image.BufferedImage;

/**
 * An immutable RGB image: float samples in [0, 1], row-major, interleaved (H, W, 3) — the
 * reference pipeline's {@code output_type="np"}. Handed from the engine worker to any consumer
 * (UI, export) with no native memory attached.
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final float[] rgb;

    public RgbImage(int width, int height, float[] rgb) {
        if (width <= 0 || height <= 0 || rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("image " + width + "x" + height + " needs " + (long) width * height * 3
                    + " samples, got " + rgb.length);
        }
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** A copy of the samples. */
    public float[] samples() {
        return rgb.clone();
    }

    public float sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c];
    }

    /** 8-bit value as diffusers' numpy_to_pil: (x * 255).round(). */
    public static int to8bit(float v) {
        float c = v < 0 ? 0 : (v > 1 ? 1 : v);
        return (int) Math.rint(c * 255f); // numpy rounds half to even
    }

    public int[] toArgb() {
        int[] out = new int[width * height];
        for (int i = 0; i < out.length; i++) {
            out[i] = 0xff000000 | (to8bit(rgb[3 * i]) << 16) | (to8bit(rgb[3 * i + 1]) << 8) | to8bit(rgb[3 * i + 2]);
        }
        return out;
    }

    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, width, height, toArgb(), 0, width);
        return img;
    }

    public static RgbImage fromBufferedImage(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        float[] s = new float[w * h * 3];
        for (int i = 0; i < argb.length; i++) {
            s[3 * i] = ((argb[i] >> 16) & 0xff) / 255f;
            s[3 * i + 1] = ((argb[i] >> 8) & 0xff) / 255f;
            s[3 * i + 2] = (argb[i] & 0xff) / 255f;
        }
        return new RgbImage(w, h, s);
    }
}

package studio.pixart.engine.image;

/**
 * Resizing on planar float images (C, H, W), reproducing PyTorch's CPU bilinear kernel
 * ({@code F.interpolate(mode="bilinear", align_corners=False)}, no antialias) to the last ulp:
 * the scale is a float32 division, source coordinates are computed in double, weights in float32.
 */
public final class ImageResize {
    private ImageResize() {}

    public static float[] bilinear(float[] src, int channels, int inH, int inW, int outH, int outW) {
        float[] out = new float[channels * outH * outW];
        int[] h0 = new int[outH];
        int[] h1 = new int[outH];
        float[] lh0 = new float[outH];
        float[] lh1 = new float[outH];
        axis(inH, outH, h0, h1, lh0, lh1);
        int[] w0 = new int[outW];
        int[] w1 = new int[outW];
        float[] lw0 = new float[outW];
        float[] lw1 = new float[outW];
        axis(inW, outW, w0, w1, lw0, lw1);
        for (int c = 0; c < channels; c++) {
            int base = c * inH * inW;
            int obase = c * outH * outW;
            for (int i = 0; i < outH; i++) {
                int r0 = base + h0[i] * inW;
                int r1 = base + h1[i] * inW;
                for (int j = 0; j < outW; j++) {
                    float top = src[r0 + w0[j]] * lw0[j] + src[r0 + w1[j]] * lw1[j];
                    float bottom = src[r1 + w0[j]] * lw0[j] + src[r1 + w1[j]] * lw1[j];
                    out[obase + i * outW + j] = top * lh0[i] + bottom * lh1[i];
                }
            }
        }
        return out;
    }

    private static void axis(int in, int out, int[] i0, int[] i1, float[] l0, float[] l1) {
        float scale = (float) in / (float) out;
        for (int i = 0; i < out; i++) {
            double src = (double) scale * (i + 0.5) - 0.5;
            if (src < 0) {
                src = 0;
            }
            int a = (int) src;
            i0[i] = a;
            i1[i] = Math.min(a + 1, in - 1);
            float lambda1 = (float) (src - a);
            l1[i] = lambda1;
            l0[i] = 1f - lambda1;
        }
    }

    /** Center crop of a planar image: offset (in − out) / 2 per axis (floor). */
    public static float[] centerCrop(float[] src, int channels, int inH, int inW, int outH, int outW) {
        int top = (inH - outH) / 2;
        int left = (inW - outW) / 2;
        float[] out = new float[channels * outH * outW];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < outH; i++) {
                System.arraycopy(src, c * inH * inW + (top + i) * inW + left, out, c * outH * outW + i * outW, outW);
            }
        }
        return out;
    }

    /** The reference's resize_and_crop_tensor: scale to cover, bilinear, center crop. */
    public static float[] resizeAndCrop(float[] src, int channels, int inH, int inW, int newH, int newW) {
        double scale = Math.max((double) newH / inH, (double) newW / inW);
        int rh = (int) (inH * scale);
        int rw = (int) (inW * scale);
        float[] resized = bilinear(src, channels, inH, inW, rh, rw);
        return centerCrop(resized, channels, rh, rw, newH, newW);
    }
}

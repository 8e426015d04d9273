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

    /**
     * Lanczos-3 resampling of a planar image (separable; the kernel widens when down-scaling so
     * it also anti-aliases). Used to upscale a generated image before the high-resolution
     * refinement: sharper than bilinear, no blocky edges.
     */
    public static float[] lanczos(float[] src, int channels, int inH, int inW, int outH, int outW) {
        float[] tmp = new float[channels * inH * outW];
        Kernel kx = Kernel.of(inW, outW);
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < inH; y++) {
                int row = c * inH * inW + y * inW;
                int orow = c * inH * outW + y * outW;
                for (int x = 0; x < outW; x++) {
                    double acc = 0;
                    int first = kx.first[x];
                    float[] wts = kx.weights[x];
                    for (int k = 0; k < wts.length; k++) {
                        acc += wts[k] * src[row + first + k];
                    }
                    tmp[orow + x] = (float) acc;
                }
            }
        }
        float[] out = new float[channels * outH * outW];
        Kernel ky = Kernel.of(inH, outH);
        for (int c = 0; c < channels; c++) {
            int plane = c * inH * outW;
            int oplane = c * outH * outW;
            for (int y = 0; y < outH; y++) {
                int first = ky.first[y];
                float[] wts = ky.weights[y];
                for (int x = 0; x < outW; x++) {
                    double acc = 0;
                    for (int k = 0; k < wts.length; k++) {
                        acc += wts[k] * tmp[plane + (first + k) * outW + x];
                    }
                    out[oplane + y * outW + x] = (float) acc;
                }
            }
        }
        return out;
    }

    /** Per output pixel: the first source index and normalised Lanczos-3 weights (edges clamped). */
    private record Kernel(int[] first, float[][] weights) {
        static Kernel of(int in, int out) {
            double scale = (double) in / out;
            double support = 3.0 * Math.max(1.0, scale);
            double stretch = Math.max(1.0, scale);
            int[] first = new int[out];
            float[][] weights = new float[out][];
            for (int i = 0; i < out; i++) {
                double center = (i + 0.5) * scale;
                int lo = (int) Math.floor(center - support);
                int hi = (int) Math.ceil(center + support);
                lo = Math.max(lo, 0);
                hi = Math.min(hi, in);
                double[] w = new double[hi - lo];
                double sum = 0;
                for (int j = lo; j < hi; j++) {
                    double v = lanczos3((j + 0.5 - center) / stretch);
                    w[j - lo] = v;
                    sum += v;
                }
                float[] f = new float[w.length];
                for (int k = 0; k < w.length; k++) {
                    f[k] = (float) (w[k] / sum);
                }
                first[i] = lo;
                weights[i] = f;
            }
            return new Kernel(first, weights);
        }

        private static double lanczos3(double x) {
            double ax = Math.abs(x);
            if (ax < 1e-9) {
                return 1.0;
            }
            if (ax >= 3.0) {
                return 0.0;
            }
            double px = Math.PI * x;
            return 3.0 * Math.sin(px) * Math.sin(px / 3.0) / (px * px);
        }
    }

    /**
     * Lanczos resize to cover (w, h), then a center crop: exact size, aspect kept, no stretching;
     * samples clamped to [0, 1]. The same image when it already has the size.
     */
    public static RgbImage cover(RgbImage img, int w, int h) {
        if (img.width() == w && img.height() == h) {
            return img;
        }
        double s = Math.max((double) w / img.width(), (double) h / img.height());
        int rw = Math.max(w, (int) Math.ceil(img.width() * s - 1e-9));
        int rh = Math.max(h, (int) Math.ceil(img.height() * s - 1e-9));
        float[] planar = toPlanar(img);
        float[] resized = lanczos(planar, 3, img.height(), img.width(), rh, rw);
        float[] cropped = centerCrop(resized, 3, rh, rw, h, w);
        float[] hwc = new float[3 * w * h];
        int plane = w * h;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                float v = cropped[c * plane + i];
                hwc[3 * i + c] = v < 0f ? 0f : (v > 1f ? 1f : v);
            }
        }
        return new RgbImage(w, h, hwc);
    }

    private static float[] toPlanar(RgbImage img) {
        float[] hwc = img.samples();
        int plane = img.width() * img.height();
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                out[c * plane + i] = hwc[3 * i + c];
            }
        }
        return out;
    }
}

package studio.pixart.engine.plan;

import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.ResolutionBinning;
import studio.pixart.engine.poster.PosterPipeline;

/**
 * The shape of one job as far as memory goes: the largest size the transformer and the VAE run
 * at, the size of the images kept in Java, the batch, CFG and the text length.
 *
 * @param genWidth/genHeight the denoising size of the largest pass (a poster's refinement)
 * @param outWidth/outHeight the delivered image size (0 = none: the benchmark keeps no image)
 * @param batch images denoised together (prompts × images per prompt)
 * @param cfg classifier-free guidance doubles the transformer's batch
 * @param textLength T5 tokens per prompt (the max sequence length)
 * @param kvCompression KV token compression in the largest pass
 * @param poster the poster path: a base image, a VAE encode and a refinement at {@code gen} size
 * @param decode whether the VAE decodes (the benchmark does not)
 */
public record JobSpec(int genWidth, int genHeight, int outWidth, int outHeight, int batch, boolean cfg, int textLength,
                      boolean kvCompression, boolean poster, boolean decode) {

    public JobSpec {
        if (genWidth <= 0 || genHeight <= 0 || batch <= 0 || textLength <= 0) {
            throw new IllegalArgumentException("job sizes must be positive: " + genWidth + "x" + genHeight
                    + ", batch " + batch + ", text " + textLength);
        }
    }

    /** A generation (text to image) of {@code req} on the model {@code m}. */
    public static JobSpec generation(ModelSpec m, GenerationRequest req, int defaultMaxLength) {
        int[] s = ResolutionBinning.sizes(m.transformer().sampleSize(), m.alpha(), m.vaeScaleFactor(), req);
        int text = req.maxSequenceLength() > 0 ? req.maxSequenceLength() : defaultMaxLength;
        boolean kv = switch (req.kvCompression()) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> Math.max(s[3], s[2]) >= PosterPipeline.KV_AUTO_LONG_SIDE;
        };
        return new JobSpec(s[3], s[2], s[1], s[0], req.prompts().size() * req.numImages(), req.guidance() > 1.0, text, kv,
                false, true);
    }

    /** A poster: the refinement (or the native pass) at the plan's work size, the target kept in Java. */
    public static JobSpec poster(GenerationRequest req, PosterPipeline.Plan p, int defaultMaxLength) {
        int text = req.maxSequenceLength() > 0 ? req.maxSequenceLength() : defaultMaxLength;
        int w = p.refine() ? p.workWidth() : p.baseWidth();
        int h = p.refine() ? p.workHeight() : p.baseHeight();
        return new JobSpec(w, h, p.targetWidth(), p.targetHeight(), 1, req.guidance() > 1.0, text,
                p.refine() && p.kvCompression(), true, true);
    }

    /** {@code pixart bench}: one CFG transformer step at {@code size}², no image kept. */
    public static JobSpec bench(int size, int textLength, boolean kvCompression) {
        return new JobSpec(size, size, 0, 0, 1, true, textLength, kvCompression, false, false);
    }

    /** The same job at another denoising size (and output size, when it had one). */
    public JobSpec withSize(int w, int h) {
        return new JobSpec(w, h, outWidth == 0 ? 0 : w, outHeight == 0 ? 0 : h, batch, cfg, textLength, kvCompression,
                poster, decode);
    }

    public JobSpec withKvCompression(boolean on) {
        return new JobSpec(genWidth, genHeight, outWidth, outHeight, batch, cfg, textLength, on, poster, decode);
    }

    /** Rows of the transformer's batch. */
    public int transformerBatch() {
        return cfg ? 2 * batch : batch;
    }
}

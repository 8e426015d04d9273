package studio.pixart.app.model;

import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.pipeline.ResolutionBinning;

/**
 * Which size a model generates for a requested size: the engine's resolution binning for the
 * model's transformer sample size and variant (the same table and rule the pipeline applies, so
 * the label never disagrees with the image). A model whose sample size has no bin table (the tiny
 * test pipelines, unusual fine-tunes) generates the requested size rounded to the multiple its
 * latent grid needs (VAE factor × patch size), with binning off.
 */
public final class SizePlanner {
    /** With no model loaded the form plans for PixArt-Σ 1024 (sample size 128, latent multiple 16). */
    private static final int DEFAULT_SAMPLE_SIZE = 128;
    private static final int DEFAULT_MULTIPLE = 16;

    /** @param model null when no model is loaded; @param binning the user's choice (on by default) */
    public PlannedSize plan(int requestedWidth, int requestedHeight, ModelInfo model, boolean binning) {
        int sample = model == null ? DEFAULT_SAMPLE_SIZE : model.sampleSize();
        boolean alpha = model != null && PipelineFolder.Variant.ALPHA.label.equals(model.variant());
        int multiple = model == null ? DEFAULT_MULTIPLE : model.sizeMultiple();
        if (binning) {
            ResolutionBinning table = binsFor(sample, alpha);
            if (table != null) {
                ResolutionBinning.Bin bin = table.classify(requestedHeight, requestedWidth);
                return new PlannedSize(bin.width(), bin.height(), requestedWidth, requestedHeight, true, "");
            }
        }
        int w = round(requestedWidth, multiple);
        int h = round(requestedHeight, multiple);
        String note = binning ? "no binning (no size table for sample size " + sample + ")" : "no binning";
        return new PlannedSize(w, h, w, h, false, note);
    }

    /** Whether the model has a bin table at all (the binning switch is disabled otherwise). */
    public boolean hasBins(ModelInfo model) {
        return model == null || binsFor(model.sampleSize(), PipelineFolder.Variant.ALPHA.label.equals(model.variant())) != null;
    }

    private static ResolutionBinning binsFor(int sampleSize, boolean alpha) {
        try {
            return ResolutionBinning.forSampleSize(sampleSize, alpha);
        } catch (IllegalArgumentException e) {
            return null; // the engine says "use --no-binning": exactly the fallback above
        }
    }

    private static int round(int v, int multiple) {
        return Math.max(multiple, Math.round(v / (float) multiple) * multiple);
    }
}

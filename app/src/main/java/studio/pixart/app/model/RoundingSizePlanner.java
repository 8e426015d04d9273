package studio.pixart.app.model;

/**
 * Fallback until the engine's resolution binning is wired in: the generated size is the requested
 * size rounded to the model's granularity (64 px for real models, 8 px for tiny test models whose
 * native size is below 256 px).
 */
public final class RoundingSizePlanner implements SizePlanner {
    @Override
    public PlannedSize plan(int w, int h, ModelInfo model) {
        int g = model != null && model.nativeSize() < 256 ? 8 : 64;
        return new PlannedSize(round(w, g), round(h, g), w, h);
    }

    private static int round(int v, int g) {
        return Math.max(g, Math.round(v / (float) g) * g);
    }
}

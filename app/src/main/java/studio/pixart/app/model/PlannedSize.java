package studio.pixart.app.model;

/**
 * The size the transformer and VAE run at (the model's aspect-ratio bin) and the size of the
 * image the user gets (the generated image resized and centre-cropped to it).
 */
public record PlannedSize(int generatedWidth, int generatedHeight, int requestedWidth, int requestedHeight) {
    public boolean resized() {
        return generatedWidth != requestedWidth || generatedHeight != requestedHeight;
    }
}

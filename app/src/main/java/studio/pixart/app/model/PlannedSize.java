package studio.pixart.app.model;

/**
 * The size the transformer and VAE run at and the size of the image the user gets. With binning
 * the model generates at its aspect-ratio bin and the engine resizes and centre-crops to the
 * delivered size; without, it generates the delivered size directly.
 *
 * @param binned   whether the request goes to the engine with binning on
 * @param noteText why there is no binning ("" when binned), shown next to the size
 */
public record PlannedSize(int generatedWidth, int generatedHeight, int deliveredWidth, int deliveredHeight,
                          boolean binned, String noteText) {

    /** "Generates 1344 × 768 → delivers 1368 × 768", plus the note when there is one. */
    public String label() {
        return "Generates " + generatedWidth + " \u00d7 " + generatedHeight + "  \u2192  delivers " + deliveredWidth
                + " \u00d7 " + deliveredHeight + (noteText.isEmpty() ? "" : "  \u00b7  " + noteText);
    }
}

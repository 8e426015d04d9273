package studio.pixart.app.model;

/** Which size a model generates for a requested size (resolution binning). */
public interface SizePlanner {
    /** @param model null when no model is loaded */
    PlannedSize plan(int requestedWidth, int requestedHeight, ModelInfo model);
}

package studio.pixart.app.vm;

import java.util.List;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import studio.pixart.app.model.AspectRatio;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.model.PlannedSize;
import studio.pixart.app.model.SizeClass;
import studio.pixart.app.model.SizePlanner;

/** Aspect ratio and size class, and the size the loaded model will generate and deliver for them. */
public final class SizeViewModel {
    public final List<AspectRatio> aspectRatios = AspectRatio.presets();
    public final ObjectProperty<AspectRatio> aspect = new SimpleObjectProperty<>(aspectRatios.get(0));
    public final ObservableList<SizeClass> sizeClasses = FXCollections.observableArrayList(SizeClass.STANDARD);
    public final ObjectProperty<SizeClass> sizeClass = new SimpleObjectProperty<>(SizeClass.STANDARD.get(1));
    public final ObjectProperty<PlannedSize> plannedSize = new SimpleObjectProperty<>();
    public final StringProperty sizeLabel = new SimpleStringProperty("");
    /** Snap to the model's aspect-ratio bins (the reference pipeline's default); off = exact size. */
    public final BooleanProperty binning = new SimpleBooleanProperty(true);
    /** False when the model's sample size has no bin table (the switch is disabled then). */
    public final BooleanProperty binningAvailable = new SimpleBooleanProperty(true);
    private final SizePlanner planner;
    private ModelInfo model;

    public SizeViewModel(SizePlanner planner) {
        this.planner = planner;
        aspect.addListener((o, a, b) -> replan());
        sizeClass.addListener((o, a, b) -> replan());
        binning.addListener((o, a, b) -> replan());
        replan();
    }

    /** The classes the model supports; the chosen one stays when it is among them, else the model's native size. */
    public void useModel(ModelInfo m) {
        model = m;
        List<SizeClass> supported = SizeClass.supportedBy(m);
        SizeClass keep = sizeClass.get();
        sizeClasses.setAll(supported);
        if (keep == null || !supported.contains(keep)) {
            // the model's native size is what it does best
            sizeClass.set(supported.get(supported.size() - 1));
        }
        replan();
    }

    /** The aspect preset by label, else the one closest to {@code width × height}; the class closest to {@code side}. */
    public void restore(String aspectLabel, int width, int height, int side) {
        aspect.set(aspectRatios.stream().filter(r -> r.label().equals(aspectLabel)).findFirst()
                .orElse(AspectRatio.closest(aspectRatios, width, height)));
        SizeClass best = sizeClasses.get(0);
        for (SizeClass c : sizeClasses) {
            if (Math.abs(c.side() - side) < Math.abs(best.side() - side)) {
                best = c;
            }
        }
        sizeClass.set(best);
    }

    private void replan() {
        AspectRatio a = aspect.get();
        SizeClass c = sizeClass.get();
        if (a == null || c == null) {
            return;
        }
        int[] req = a.sizeFor(c.side());
        PlannedSize p = planner.plan(req[0], req[1], model, binning.get());
        binningAvailable.set(planner.hasBins(model));
        plannedSize.set(p);
        sizeLabel.set(p.label());
    }
}

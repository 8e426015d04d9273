package studio.pixart.app.view;

import java.util.List;
import javafx.beans.property.ObjectProperty;
import javafx.scene.control.ContentDisplay;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import studio.pixart.app.model.AspectRatio;

/** The aspect ratios as tiles whose shapes have the ratio's proportions. */
public final class AspectRatioPicker extends FlowPane {
    private static final double MAX_SIDE = 30;

    public AspectRatioPicker(List<AspectRatio> ratios, ObjectProperty<AspectRatio> selected) {
        getStyleClass().add("ratio-picker");
        setHgap(6);
        setVgap(6);
        ToggleGroup group = new ToggleGroup();
        for (AspectRatio r : ratios) {
            Region shape = new Region();
            shape.getStyleClass().add("ratio-shape");
            double k = MAX_SIDE / Math.max(r.w(), r.h());
            shape.setMinSize(r.w() * k, r.h() * k);
            shape.setMaxSize(r.w() * k, r.h() * k);
            StackPane box = new StackPane(shape);
            box.setMinSize(MAX_SIDE + 2, MAX_SIDE + 2);
            box.setPrefSize(MAX_SIDE + 2, MAX_SIDE + 2);
            ToggleButton b = new ToggleButton(r.label(), box);
            b.setContentDisplay(ContentDisplay.TOP);
            b.setId("ratio-" + r.label().replace(':', 'x'));
            b.getStyleClass().add("ratio-tile");
            b.setUserData(r);
            b.setToggleGroup(group);
            b.setTooltip(new Tooltip(r.label() + " \u00b7 " + r.hint()));
            getChildren().add(b);
        }
        group.selectedToggleProperty().addListener((o, a, b) -> {
            if (b == null) {
                group.selectToggle(a); // one ratio is always chosen
            } else {
                selected.set((AspectRatio) b.getUserData());
            }
        });
        Runnable sync = () -> group.getToggles().stream().filter(t -> t.getUserData().equals(selected.get()))
                .findFirst().ifPresent(group::selectToggle);
        selected.addListener((o, a, b) -> sync.run());
        sync.run();
    }
}

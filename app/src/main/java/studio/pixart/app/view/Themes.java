package studio.pixart.app.view;

import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.stage.Window;

/**
 * The studio's stylesheets: studio.css (layout and the dark palette) plus, for the light theme,
 * light.css, which only redefines the palette. Dialogs take the theme of their owner window.
 */
public final class Themes {
    public static final String BASE = "/studio/pixart/app/assets/css/studio.css";
    public static final String LIGHT = "/studio/pixart/app/assets/css/light.css";

    private Themes() {}

    static String url(String resource) {
        return Themes.class.getResource(resource).toExternalForm();
    }

    /** Puts the theme's stylesheets on a scene ("dark" or "light"). */
    public static void apply(Scene scene, String theme) {
        scene.getStylesheets().setAll(url(BASE));
        if ("light".equals(theme)) {
            scene.getStylesheets().add(url(LIGHT));
        }
    }

    /** A dialog's pane gets its owner's stylesheets (the dark theme when there is no owner). */
    static void style(Parent pane, Window owner) {
        if (owner != null && owner.getScene() != null) {
            pane.getStylesheets().setAll(owner.getScene().getStylesheets());
        } else {
            pane.getStylesheets().setAll(url(BASE));
        }
        pane.getStyleClass().add("studio-dialog");
    }
}

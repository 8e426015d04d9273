package studio.pixart.app.view;

import java.util.List;
import javafx.scene.control.ButtonType;
import javafx.scene.control.Dialog;
import javafx.scene.control.Label;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.Window;
import studio.pixart.app.StudioVersion;

/** Help → Keyboard shortcuts (a two-column table) and Help → About (version, data folder). */
public final class HelpDialogs {
    /** Keys and what they do, in the order the dialog lists them. */
    public static final List<String[]> SHORTCUTS = List.of(
            new String[] {"Ctrl+Enter", "Generate (queued when a job is running)"},
            new String[] {"Esc", "Cancel the running job"},
            new String[] {"Ctrl+E", "Export the image (PNG, JPEG or TIFF, with its settings)"},
            new String[] {"Ctrl+Shift+E", "Export a poster / wallpaper (4K)"},
            new String[] {"Ctrl+B", "Batch of prompts (one per line, queued)"},
            new String[] {"Ctrl+Shift+V", "Variations of the image (next four seeds)"},
            new String[] {"Ctrl+O", "Open a model folder"},
            new String[] {"Ctrl+Shift+D", "Download a model from the Hugging Face Hub"},
            new String[] {"Ctrl+I", "Restore settings from an image file"},
            new String[] {"Ctrl+R", "Reuse the last seed"},
            new String[] {"Ctrl+Z", "Undo the last brush stroke (inpainting)"},
            new String[] {"Ctrl+F", "Search the history"},
            new String[] {"Ctrl+G", "Gallery"},
            new String[] {"Arrows, Home/End", "In the gallery: walk the images; Enter shows one, Delete deletes it"},
            new String[] {"Ctrl+,", "Preferences"},
            new String[] {"Ctrl+0 / Ctrl+1", "Fit to window / actual size (1:1)"},
            new String[] {"Ctrl+Q", "Quit"},
            new String[] {"Mouse wheel", "Zoom the canvas around the pointer"},
            new String[] {"Drag / double-click", "Pan / toggle fit and 1:1"},
            new String[] {"Drop an image", "Restore its settings (or use it as the start image)"});

    private HelpDialogs() {}

    static Dialog<ButtonType> shortcuts(Window owner) {
        GridPane g = new GridPane();
        g.setId("shortcutsTable");
        g.getStyleClass().add("shortcuts-table");
        g.setHgap(18);
        g.setVgap(6);
        ColumnConstraints keys = new ColumnConstraints();
        keys.setMinWidth(Region.USE_PREF_SIZE);
        g.getColumnConstraints().add(keys);
        int r = 0;
        for (String[] row : SHORTCUTS) {
            Label k = new Label(row[0]);
            k.getStyleClass().add("shortcut-keys");
            k.setMinWidth(Region.USE_PREF_SIZE);
            Label what = new Label(row[1]);
            what.setMinWidth(Region.USE_PREF_SIZE);
            g.addRow(r++, k, what);
        }
        return show(owner, "Keyboard shortcuts", "Keyboard shortcuts", g);
    }

    static Dialog<ButtonType> about(Window owner, String dataDir) {
        Label version = new Label("Version " + StudioVersion.get());
        version.setId("aboutVersion");
        Label text = new Label("Local text-to-image generation with PixArt-\u03a3 and PixArt-\u03b1.");
        Label data = new Label("Data folder: " + dataDir);
        data.setWrapText(true);
        data.setMaxWidth(520);
        VBox box = new VBox(8, version, text, data);
        return show(owner, "About PixArt Studio", "PixArt Studio " + StudioVersion.get(), box);
    }

    private static Dialog<ButtonType> show(Window owner, String title, String header, javafx.scene.Node content) {
        Dialog<ButtonType> d = new Dialog<>();
        d.initOwner(owner);
        d.setTitle(title);
        d.setHeaderText(header);
        d.getDialogPane().setContent(content);
        d.getDialogPane().getButtonTypes().add(ButtonType.CLOSE);
        Themes.style(d.getDialogPane(), owner);
        d.show();
        return d;
    }
}

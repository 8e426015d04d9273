package studio.pixart.app.view;

import java.util.Locale;
import javafx.css.PseudoClass;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;

/** Small pieces the studio's views share. */
final class ViewSupport {
    private ViewSupport() {}

    static Label sectionTitle(String s) {
        Label l = new Label(s.toUpperCase(Locale.ROOT));
        l.getStyleClass().add("section-title");
        return l;
    }

    static Label fieldLabel(String s) {
        Label l = new Label(s);
        l.getStyleClass().add("field-label");
        return l;
    }

    static Region spacer() {
        Region r = new Region();
        HBox.setHgrow(r, Priority.ALWAYS);
        return r;
    }

    static void pseudo(Node n, String cls, boolean on) {
        n.pseudoClassStateChanged(PseudoClass.getPseudoClass(cls), on);
    }
}

package studio.pixart.app;

import java.util.ArrayList;
import java.util.List;
import javafx.geometry.Bounds;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.control.Control;
import javafx.scene.control.Labeled;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.skin.VirtualFlow;

/**
 * Walks a scene graph and lists what a person would see as broken: a labelled control narrower
 * than its text needs (the text is cut to "…"), a wrapping one shorter than its lines, and a
 * control that lies (partly) outside the window, and the content of a scroll pane that only scrolls
 * vertically being wider than it (its right side cut). Labels marked {@code elastic} are meant to
 * shorten (long paths, prompts in a list) and must carry the full text in a tooltip; content of
 * scroll panes and lists may lie outside the window (it is scrolled to).
 */
final class LayoutCheck {
    private LayoutCheck() {}

    static List<String> problems(Scene scene) {
        List<String> out = new ArrayList<>();
        scene.getRoot().applyCss();
        scene.getRoot().layout();
        walk(scene.getRoot(), scene.getWidth(), scene.getHeight(), false, out);
        return out;
    }

    private static void walk(Node n, double w, double h, boolean scrolled, List<String> out) {
        if (!n.isVisible()) {
            return;
        }
        if (n instanceof Labeled l && l.getText() != null && !l.getText().isBlank() && l.getWidth() > 0) {
            if (l.getStyleClass().contains("elastic")) {
                if (l.getTooltip() == null && !hasTooltipAbove(l)) {
                    out.add("elastic label without a tooltip: " + describe(l));
                }
            } else if (l.isWrapText()) {
                double need = l.prefHeight(l.getWidth());
                if (l.getHeight() + 0.5 < need) {
                    out.add("wrapped text cut (" + fmt(l.getHeight()) + " < " + fmt(need) + " px high): " + describe(l));
                }
            } else {
                double need = l.prefWidth(-1);
                if (l.getWidth() + 0.5 < need) {
                    out.add("text cut (" + fmt(l.getWidth()) + " < " + fmt(need) + " px): " + describe(l));
                }
            }
        }
        if (!scrolled && n instanceof Control c && c.getWidth() > 0) {
            Bounds b = c.localToScene(c.getLayoutBounds());
            if (b.getMinX() < -1 || b.getMinY() < -1 || b.getMaxX() > w + 1 || b.getMaxY() > h + 1) {
                out.add("outside the window " + fmt(w) + "\u00d7" + fmt(h) + " at [" + fmt(b.getMinX()) + ", "
                        + fmt(b.getMinY()) + " \u2013 " + fmt(b.getMaxX()) + ", " + fmt(b.getMaxY()) + "]: " + describe(c));
            }
        }
        if (n instanceof ScrollPane sp && sp.isFitToWidth() && sp.getContent() != null
                && sp.getContent().getLayoutBounds().getWidth() > sp.getViewportBounds().getWidth() + 1) {
            out.add("content wider than its scroll pane (" + fmt(sp.getContent().getLayoutBounds().getWidth()) + " > "
                    + fmt(sp.getViewportBounds().getWidth()) + " px, cut at the right): " + describe(sp));
        }
        boolean inner = scrolled || n instanceof ScrollPane || n instanceof VirtualFlow;
        if (n instanceof Parent p) {
            for (Node child : p.getChildrenUnmodifiable()) {
                walk(child, w, h, inner, out);
            }
        }
    }

    private static boolean hasTooltipAbove(Node n) {
        for (Node p = n.getParent(); p != null; p = p.getParent()) {
            if (p instanceof Control c && c.getTooltip() != null) {
                return true;
            }
        }
        return false;
    }

    static String describe(Node n) {
        StringBuilder sb = new StringBuilder(n.getClass().getSimpleName());
        if (n.getId() != null) {
            sb.append('#').append(n.getId());
        }
        if (n instanceof Labeled l) {
            sb.append(" \"").append(l.getText().length() > 60 ? l.getText().substring(0, 60) + "\u2026" : l.getText()).append('"');
        }
        for (Node p = n.getParent(); p != null; p = p.getParent()) {
            if (p.getId() != null) {
                sb.append(" in #").append(p.getId());
                break;
            }
        }
        return sb.toString();
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.0f", v);
    }
}

package studio.pixart.app.view;

import java.io.ByteArrayInputStream;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import javafx.geometry.Pos;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import studio.pixart.app.history.HistoryEntry;

/** A history row: thumbnail, prompt, and seed · size · model · time. */
final class HistoryCell extends ListCell<HistoryEntry> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MMM d, HH:mm").withZone(ZoneId.systemDefault());
    private final ImageView thumb = new ImageView();
    private final Label prompt = new Label();
    private final Label meta = new Label();
    private final Label badge = new Label();
    private final HBox row;

    HistoryCell() {
        getStyleClass().add("history-cell");
        setPrefWidth(0); // take the list's width; long prompts wrap/ellipsize instead of scrolling sideways
        thumb.setFitWidth(56);
        thumb.setFitHeight(56);
        thumb.setPreserveRatio(true);
        StackPane frame = new StackPane(thumb);
        frame.getStyleClass().add("history-thumb");
        frame.setMinSize(60, 60);
        frame.setMaxSize(60, 60);
        prompt.getStyleClass().addAll("history-prompt", "elastic");
        prompt.setWrapText(true);
        prompt.setMaxHeight(36);
        prompt.setMaxWidth(Double.MAX_VALUE);
        meta.setMinWidth(0);
        meta.getStyleClass().addAll("history-meta", "elastic");
        badge.getStyleClass().add("history-badge");
        badge.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        HBox metaRow = new HBox(6, badge, meta);
        metaRow.setAlignment(Pos.CENTER_LEFT);
        VBox text = new VBox(3, prompt, metaRow);
        HBox.setHgrow(text, Priority.ALWAYS);
        text.setMinWidth(0);
        row = new HBox(10, frame, text);
        row.setAlignment(Pos.CENTER_LEFT);
    }

    @Override
    protected void updateItem(HistoryEntry e, boolean empty) {
        super.updateItem(e, empty);
        if (empty || e == null) {
            setGraphic(null);
            setText(null);
            setTooltip(null);
            return;
        }
        thumb.setImage(e.thumbnail().length == 0 ? null : new Image(new ByteArrayInputStream(e.thumbnail())));
        prompt.setText(e.settings().prompt().isBlank() ? "(no prompt)" : e.settings().prompt());
        setTooltip(new javafx.scene.control.Tooltip(e.settings().prompt()
                + (e.message().isEmpty() ? "" : "\n" + e.message())));
        long total = e.timingsMs().getOrDefault("total", 0L);
        meta.setText("seed " + e.settings().seed() + " \u00b7 " + e.width() + "\u00d7" + e.height()
                + (total > 0 ? String.format(" \u00b7 %.1f s", total / 1000.0) : "") + " \u00b7 " + TIME.format(e.created())
                + (e.message().isEmpty() ? "" : " \u00b7 " + e.message()));
        badge.setVisible(e.status() != HistoryEntry.Status.FINISHED);
        badge.setManaged(badge.isVisible());
        badge.setText(e.status() == HistoryEntry.Status.CANCELLED ? "cancelled" : "failed");
        setText(null);
        setGraphic(row);
    }
}

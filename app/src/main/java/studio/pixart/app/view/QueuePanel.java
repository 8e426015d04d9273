package studio.pixart.app.view;

import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import studio.pixart.app.vm.QueuedJob;
import studio.pixart.app.vm.StudioViewModel;

/**
 * The queue: the running job with its progress and the waiting ones, which can be moved up or
 * down and cancelled. Shown while more than one job is queued.
 */
final class QueuePanel {
    private final StudioViewModel vm;

    QueuePanel(StudioViewModel vm) {
        this.vm = vm;
    }

    Node build() {
        ListView<QueuedJob> list = new ListView<>(vm.job.queue);
        list.setId("queueList");
        list.setCellFactory(l -> new JobCell());
        list.setPrefHeight(150);
        list.setMinHeight(80);
        Label count = new Label();
        count.getStyleClass().add("hint");
        count.textProperty().bind(Bindings.createStringBinding(() -> vm.job.waiting.get() + " waiting", vm.job.waiting));
        HBox header = new HBox(ViewSupport.sectionTitle("Queue"), ViewSupport.spacer(), count);
        header.setAlignment(Pos.BASELINE_LEFT);
        VBox box = new VBox(8, header, list);
        box.setId("queuePanel");
        box.getStyleClass().add("panel");
        box.visibleProperty().bind(vm.job.waiting.greaterThan(0));
        box.managedProperty().bind(box.visibleProperty());
        return box;
    }

    private final class JobCell extends ListCell<QueuedJob> {
        private final Label title = new Label();
        private final Label detail = new Label();
        private final Label state = new Label();
        private final ProgressBar bar = new ProgressBar();
        private final Button up = iconButton("\u2191", "Run earlier");
        private final Button down = iconButton("\u2193", "Run later");
        private final Button cancel = iconButton("\u2715", "Cancel this job");
        private final HBox row;

        JobCell() {
            getStyleClass().add("queue-cell");
            setPrefWidth(0);
            title.getStyleClass().addAll("queue-title", "elastic");
            detail.getStyleClass().addAll("queue-detail", "elastic");
            state.getStyleClass().addAll("queue-state", "elastic");
            for (Label l : new Label[] {title, detail, state}) {
                l.setMinWidth(0);
            }
            bar.setMaxWidth(Double.MAX_VALUE);
            bar.setPrefHeight(6);
            VBox text = new VBox(2, title, detail, state, bar);
            text.setMinWidth(0);
            HBox.setHgrow(text, Priority.ALWAYS);
            row = new HBox(4, text, up, down, cancel);
            row.setAlignment(Pos.CENTER_LEFT);
            up.setOnAction(e -> vm.job.move(getItem(), -1));
            down.setOnAction(e -> vm.job.move(getItem(), 1));
            cancel.setOnAction(e -> vm.job.cancel(getItem()));
        }

        private Button iconButton(String text, String tip) {
            Button b = new Button(text);
            b.getStyleClass().add("icon-button");
            b.setTooltip(new Tooltip(tip));
            b.setMinWidth(Region.USE_PREF_SIZE);
            return b;
        }

        @Override
        protected void updateItem(QueuedJob job, boolean empty) {
            super.updateItem(job, empty);
            state.textProperty().unbind();
            bar.progressProperty().unbind();
            if (empty || job == null) {
                setGraphic(null);
                setTooltip(null);
                return;
            }
            title.setText(job.title());
            detail.setText(job.detail());
            state.textProperty().bind(job.progressText);
            bar.progressProperty().bind(job.progress);
            boolean waiting = job.state.get() == QueuedJob.State.WAITING;
            bar.setVisible(!waiting);
            bar.setManaged(!waiting);
            up.setVisible(waiting);
            down.setVisible(waiting);
            setTooltip(new Tooltip(job.settings.prompt() + "\n" + job.detail()));
            setGraphic(row);
        }
    }
}

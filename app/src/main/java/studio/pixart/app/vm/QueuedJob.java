package studio.pixart.app.vm;

import javafx.beans.property.DoubleProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.engine.job.PosterSpec;

/**
 * One job in the studio's queue: what it makes (its settings with the seed already drawn, the
 * model, a poster's spec), and while it runs its progress. Waiting jobs stay in the studio (so
 * they can be reordered and cancelled); the engine gets one job at a time.
 */
public final class QueuedJob {
    public enum State { WAITING, RUNNING }

    /** The settings the job runs with (concrete seed). */
    public final GenerationSettings settings;
    /** Snap to the model's size bins (planned when the job was queued). */
    final boolean binning;
    final ModelInfo model;
    /** A poster job's size and destination; null for a generation. */
    final PosterSpec poster;
    /** Where the image starts from (image to image / inpainting); null for text to image. */
    final StartImage start;
    /** "Batch 2 / 5", "Variations" or "" (a single job). */
    public final String group;
    public final ObjectProperty<State> state = new SimpleObjectProperty<>(State.WAITING);
    public final DoubleProperty progress = new SimpleDoubleProperty(0);
    public final StringProperty progressText = new SimpleStringProperty("Waiting");

    QueuedJob(GenerationSettings settings, boolean binning, ModelInfo model, PosterSpec poster, StartImage start, String group) {
        this.settings = settings;
        this.binning = binning;
        this.model = model;
        this.poster = poster;
        this.start = start;
        this.group = group == null ? "" : group;
    }

    /** The prompt, shortened for a list row. */
    public String title() {
        return Texts.abbreviate(settings.prompt().replace('\n', ' '), 80);
    }

    /** "Poster 3840 × 2160 · seed 7" or "2 images · seed 7 · 20 steps · 1024 × 1024". */
    public String detail() {
        String what = poster != null ? "Poster " + poster.width() + " \u00d7 " + poster.height()
                : (settings.numImages() > 1 ? settings.numImages() + " images \u00b7 " : "")
                + settings.width() + " \u00d7 " + settings.height() + " \u00b7 " + settings.steps() + " steps";
        String from = start == null ? "" : start.mask() != null ? " \u00b7 inpaint" : " \u00b7 from image";
        return what + " \u00b7 seed " + settings.seed() + from + (group.isEmpty() ? "" : " \u00b7 " + group);
    }

    public boolean isPoster() {
        return poster != null;
    }
}

package studio.pixart.app.vm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.service.SettingsStore;
import studio.pixart.app.service.StudioServices;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.job.JobEvent;
import studio.pixart.engine.job.JobHandle;
import studio.pixart.engine.job.PosterSpec;

/**
 * Running jobs on the engine: starts a generation or poster job from the form, follows its events
 * (progress, previews on the canvas, the outcome) and records the result in the history.
 */
public final class JobViewModel {
    public final BooleanProperty running = new SimpleBooleanProperty(false);
    public final DoubleProperty progress = new SimpleDoubleProperty(0);
    public final StringProperty progressText = new SimpleStringProperty("Ready");
    /** The last job's terminal event (Finished, Failed or Cancelled). */
    public final ObjectProperty<JobEvent> lastOutcome = new SimpleObjectProperty<>();

    private final StudioServices services;
    private final FormViewModel form;
    private final SizeViewModel size;
    private final ModelViewModel model;
    private final CanvasViewModel canvas;
    private final HistoryViewModel history;
    private final StatusViewModel status;
    private final SettingsStore settings;

    private JobHandle currentJob;
    /** Which job the UI listens to: events of older jobs (late deliveries) are dropped. */
    private long jobToken;
    private GenerationSettings currentJobSettings;
    private RgbImage lastPreview;
    /** Where the running poster job writes its file (null for a generation job). */
    private Path posterOut;
    /** The running poster's stage ("base", "upscale", ...) and the last step or tile of it. */
    private JobEvent.Stage lastStage;
    /** The last denoising step reported (for "cancelled at step n / total"). */
    private JobEvent.Step lastStep;
    /** When the running job's first progress event came (the ETA of a poster counts from it). */
    private long progressStartNanos;

    public JobViewModel(StudioServices services, FormViewModel form, SizeViewModel size, ModelViewModel model,
                        CanvasViewModel canvas, HistoryViewModel history, StatusViewModel status, SettingsStore settings) {
        this.services = services;
        this.form = form;
        this.size = size;
        this.model = model;
        this.canvas = canvas;
        this.history = history;
        this.status = status;
        this.settings = settings;
    }

    public boolean canGenerate() {
        return !running.get();
    }

    public void generate() {
        if (running.get()) {
            return;
        }
        status.error.set(null);
        GenerationSettings f = form.form();
        if (f.prompt() == null || f.prompt().isBlank()) {
            status.error.set(new ErrorInfo("Nothing to generate", "The prompt is empty.", "Describe the image you want in the prompt box."));
            return;
        }
        ModelInfo m = model.info.get();
        if (m == null) {
            status.error.set(new ErrorInfo("No model loaded", "Generating needs a PixArt pipeline.", ModelViewModel.NO_MODEL_ADVICE));
            return;
        }
        if (!m.usable()) {
            status.error.set(new ErrorInfo("Model incomplete", String.join("; ", m.problems()),
                    "Complete the pipeline folder or pick another model."));
            return;
        }
        long s = form.nextSeed();
        GenerationSettings jobSettings = form.form().withSeed(s, false);
        begin(jobSettings, null, "Starting\u2026");
        settings.update(a -> a.withLastForm(form.form()));
        try {
            var request = jobSettings.toRequest(s, size.plannedSize.get().binned()).withModel(m.root().toString());
            // the token, not the handle, identifies the job: its first events may arrive before submit returns
            long token = ++jobToken;
            currentJob = services.engine().submit(request, ev -> services.ui().execute(() -> onEvent(token, ev)));
        } catch (RuntimeException e) {
            notStarted("Could not start", e, "Check the settings and try again.");
        }
    }

    /**
     * Makes a poster or wallpaper from {@code settings} (a history item's or the canvas image's,
     * with their seed) at {@code spec}'s size, as a job like {@link #generate()}: the canvas shows
     * its previews and the progress bar its stages; the finished poster is shown, written to
     * {@code spec.out()} and added to the history.
     */
    public void exportPoster(GenerationSettings source, PosterSpec spec) {
        if (running.get()) {
            return;
        }
        status.error.set(null);
        ModelInfo m = model.info.get();
        if (m == null || !m.usable()) {
            status.error.set(new ErrorInfo("No usable model", "A poster is generated again at high resolution with the model.",
                    ModelViewModel.NO_MODEL_ADVICE));
            return;
        }
        begin(source.withSeed(source.seed(), false), spec.out(), "Starting poster\u2026");
        Path folder = spec.out() == null ? null : spec.out().toAbsolutePath().getParent();
        if (folder != null) {
            settings.update(a -> a.withLastPosterFolder(folder.toString()));
        }
        try {
            var request = currentJobSettings.toRequest(source.seed(), false).withModel(m.root().toString());
            long token = ++jobToken;
            currentJob = services.engine().submitPoster(request, spec, ev -> services.ui().execute(() -> onEvent(token, ev)));
        } catch (RuntimeException e) {
            notStarted("Could not start the poster", e, "Check the size and destination.");
        }
    }

    private void begin(GenerationSettings jobSettings, Path out, String text) {
        currentJobSettings = jobSettings;
        posterOut = out;
        lastPreview = null;
        lastStage = null;
        lastStep = null;
        progressStartNanos = 0;
        status.status.set("");
        running.set(true);
        progress.set(0);
        progressText.set(text);
        lastOutcome.set(null);
    }

    private void notStarted(String title, RuntimeException e, String advice) {
        running.set(false);
        progressText.set("Not started");
        status.error.set(new ErrorInfo(title, String.valueOf(e.getMessage()), advice));
    }

    public void cancel() {
        JobHandle j = currentJob;
        if (j != null && running.get()) {
            progressText.set("Cancelling\u2026");
            j.cancel();
        }
    }

    private void onEvent(long token, JobEvent ev) {
        if (token != jobToken) {
            return;
        }
        // Java 17: no pattern matching for switch yet
        if (ev instanceof JobEvent.Queued q) {
            progressText.set(q.position() > 0 ? "Queued (" + q.position() + " ahead)" : "Queued");
        } else if (ev instanceof JobEvent.LoadingModel l) {
            progress.set(-1);
            progressText.set(String.format(Locale.ROOT, "Loading model: %s (%.0f %%)", l.component(), l.progress() * 100));
        } else if (ev instanceof JobEvent.TextEncoded t) {
            progressText.set("Prompt encoded: " + t.tokens() + " / " + t.limit() + " tokens" + (t.truncated() ? " (cut)" : ""));
        } else if (ev instanceof JobEvent.Stage st) {
            lastStage = st;
            double p = posterProgress(st);
            if (progressStartNanos == 0) {
                progressStartNanos = System.nanoTime();
            }
            progress.set(p);
            progressText.set(stageText(st) + etaText(p, System.nanoTime() - progressStartNanos));
        } else if (ev instanceof JobEvent.Step st && posterOut != null) {
            lastStep = st; // a poster's steps are shown by its Stage events
        } else if (ev instanceof JobEvent.Step st) {
            lastStep = st;
            int i = Math.min(st.step(), st.total());
            progress.set(i / (double) st.total());
            progressText.set("Step " + i + " / " + st.total() + "  \u00b7  ETA " + Texts.formatDuration(st.eta()));
        } else if (ev instanceof JobEvent.Preview p) {
            if (p.imageIndex() == 0) {
                lastPreview = p.image();
                canvas.showPreview(p.image());
            }
        } else if (ev instanceof JobEvent.Decoding d) {
            progressText.set(d.tiles() > 1 ? "Decoding tile " + d.tile() + " / " + d.tiles() : "Decoding\u2026");
        } else if (ev instanceof JobEvent.Finished f) {
            finish(f);
        } else if (ev instanceof JobEvent.Failed f) {
            end(f, "Failed");
            progress.set(0);
            status.error.set(new ErrorInfo("Generation failed", f.message(), f.advice()));
        } else if (ev instanceof JobEvent.Cancelled c) {
            String what = cancelledText(c);
            end(c, what);
            progress.set(0);
            if (settings.get().preferences().keepCancelled()) {
                RgbImage preview = lastPreview;
                GenerationSettings s = currentJobSettings;
                String label = model.label();
                services.io().execute(() -> history.record(HistoryEntry.Status.CANCELLED, 0, s, null, label, preview,
                        Map.of(), what));
            }
        }
    }

    /** The poster's stages as one bar: base 0-30 %, upscale 30-35 %, refinement 35-90 %, decode 90-100 %. */
    static double posterProgress(JobEvent.Stage st) {
        double f = st.total() <= 0 ? 0 : Math.min(1, st.done() / (double) st.total());
        return switch (st.stage()) {
            case "base" -> 0.30 * f;
            case "upscale" -> 0.30 + 0.05 * f;
            case "refine" -> 0.35 + 0.55 * f;
            default -> 0.90 + 0.10 * f;
        };
    }

    static String stageText(JobEvent.Stage st) {
        String name = switch (st.stage()) {
            case "base" -> "Base image: step";
            case "upscale" -> "Upscaling";
            case "refine" -> "Refining at full size: step";
            case "decode" -> "Decoding tile";
            default -> st.stage();
        };
        return st.stage().equals("upscale") ? name + "\u2026" : name + " " + st.done() + " / " + st.total();
    }

    /** What was cancelled, where: "Cancelled at step 8 / 20", "Poster cancelled while upscaling". */
    String cancelledText(JobEvent.Cancelled c) {
        if (posterOut != null) {
            if (lastStage == null) {
                return "Poster cancelled before it started";
            }
            return "Poster cancelled " + switch (lastStage.stage()) {
                case "base" -> "in the base image at step " + lastStage.done() + " / " + lastStage.total();
                case "upscale" -> "while upscaling";
                case "refine" -> "in the refinement at step " + lastStage.done() + " / " + lastStage.total();
                case "decode" -> "while decoding (tile " + lastStage.done() + " / " + lastStage.total() + ")";
                default -> "in stage " + lastStage.stage();
            };
        }
        if (lastStep == null) {
            return c.atStep() == 0 ? "Cancelled before the first step" : "Cancelled at step " + c.atStep();
        }
        return "Cancelled at step " + c.atStep() + " / " + lastStep.total();
    }

    /** "  ·  ETA 12 s" from the share {@code done} of the work done in {@code elapsedNanos}; "" too early to tell. */
    static String etaText(double done, long elapsedNanos) {
        if (done < 0.02 || done >= 1 || elapsedNanos <= 0) {
            return "";
        }
        return "  \u00b7  ETA " + Texts.formatDuration(Duration.ofNanos((long) (elapsedNanos * (1 - done) / done)));
    }

    private void end(JobEvent ev, String text) {
        Path out = posterOut;
        posterOut = null;
        if (out != null && ev instanceof JobEvent.Finished) {
            // the progress row stays short (the full path goes to the status line)
            text = text + "  \u00b7  saved " + out.getFileName();
            status.status.set("Poster saved to " + out);
        }
        running.set(false);
        progressText.set(text);
        lastOutcome.set(ev);
    }

    private void finish(JobEvent.Finished f) {
        progress.set(1);
        Duration total = f.timings().getOrDefault("total", f.timings().values().stream().reduce(Duration.ZERO, Duration::plus));
        long seed = currentJobSettings.seed();
        int n = f.images().size();
        end(f, "Done in " + Texts.formatDuration(total) + "  \u00b7  seed " + seed + (n > 1 ? "\u2013" + (seed + n - 1) : ""));
        List<GenerationSettings> perImage = new ArrayList<>();
        List<Map<String, Object>> metadata = new ArrayList<>();
        for (int i = 0; i < f.images().size(); i++) {
            GenerationSettings one = imageSettings(currentJobSettings, i, f.images().size());
            perImage.add(one);
            metadata.add(one.toMetadata(i < f.metadata().size() ? f.metadata().get(i) : null));
        }
        if (!f.images().isEmpty()) {
            canvas.showImage(f.images().get(0), perImage.get(0), metadata.get(0));
        }
        Map<String, Long> ms = new LinkedHashMap<>();
        f.timings().forEach((k, v) -> ms.put(k, v.toMillis()));
        String label = model.label();
        List<RgbImage> images = new ArrayList<>(f.images());
        services.io().execute(() -> {
            for (int i = 0; i < images.size(); i++) {
                history.record(HistoryEntry.Status.FINISHED, i, perImage.get(i), metadata.get(i), label, images.get(i), ms,
                        images.size() > 1 ? "image " + (i + 1) + " of " + images.size() : "");
            }
        });
    }

    /**
     * The settings that make image {@code index} of a batch again on its own: image i of a batch
     * with seed s has its own noise generator seeded s + i (as the engine draws it), so its
     * settings are seed s + i and one image.
     */
    static GenerationSettings imageSettings(GenerationSettings batch, int index, int count) {
        if (count <= 1) {
            return batch;
        }
        return batch.withSeed(batch.seed() + index, false).withNumImages(1);
    }

    /** Cancels the running job (the engine is closed with the services). */
    void close() {
        if (currentJob != null) {
            currentJob.cancel();
        }
    }
}

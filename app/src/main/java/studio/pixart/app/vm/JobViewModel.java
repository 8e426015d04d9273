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
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
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

    /** The running job first, then the waiting ones in the order they will run. */
    public final ObservableList<QueuedJob> queue = FXCollections.observableArrayList();
    /** Jobs waiting behind the running one. */
    public final IntegerProperty waiting = new SimpleIntegerProperty(0);

    private QueuedJob current;
    private JobHandle currentJob;
    /** Which job the UI listens to: events of older jobs (late deliveries) are dropped. */
    private long jobToken;
    private RgbImage lastPreview;
    /** The running poster's stage (BASE, UPSCALE, ...) and the last step or tile of it. */
    private JobEvent.Stage lastStage;
    /** The last denoising step reported (for "cancelled at step n / total"). */
    private JobEvent.Step lastStep;
    /** When the running job's first progress event came (the ETA of a poster counts from it). */
    private long progressStartNanos;
    /** Where image-to-image jobs take their start image from (null: text to image only). */
    private java.util.function.Supplier<StartImage> startImage = () -> null;

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
        queue.addListener((javafx.collections.ListChangeListener<QueuedJob>) c ->
                waiting.set((int) queue.stream().filter(j -> j.state.get() == QueuedJob.State.WAITING).count()));
    }

    /** The start image of the next jobs (the image-to-image panel sets it). */
    void useStartImage(java.util.function.Supplier<StartImage> s) {
        startImage = s;
    }

    /** The usable model, or null after saying why there is none. */
    private ModelInfo usableModel() {
        ModelInfo m = model.info.get();
        if (m == null) {
            status.error.set(new ErrorInfo("No model loaded", "Generating needs a PixArt pipeline.", ModelViewModel.NO_MODEL_ADVICE));
            return null;
        }
        if (!m.usable()) {
            status.error.set(new ErrorInfo("Model incomplete", String.join("; ", m.problems()),
                    "Complete the pipeline folder or pick another model."));
            return null;
        }
        return m;
    }

    /** Generates from the form; while a job runs, the new one waits in the queue. */
    public void generate() {
        status.error.set(null);
        GenerationSettings f = form.form();
        if (f.prompt() == null || f.prompt().isBlank()) {
            status.error.set(new ErrorInfo("Nothing to generate", "The prompt is empty.", "Describe the image you want in the prompt box."));
            return;
        }
        ModelInfo m = usableModel();
        if (m == null) {
            return;
        }
        StartImage start = startImage.get();
        if (start != null && start.mask() == null && start.inpaintRequested()) {
            status.error.set(new ErrorInfo("Nothing to repaint", "Inpainting is on but no area is painted.",
                    "Paint the area to repaint on the canvas with the brush, or turn inpainting off."));
            return;
        }
        long s = form.nextSeed();
        settings.update(a -> a.withLastForm(form.form()));
        enqueue(new QueuedJob(form.form().withSeed(s, false), size.plannedSize.get().binned(), m, null, start, ""));
    }

    /**
     * A batch of prompts, one per non-blank line, as one group of queued jobs with the form's
     * other settings (each job draws its own seed when the seed is random).
     */
    public void generateBatch(String lines) {
        status.error.set(null);
        List<String> prompts = lines == null ? List.of() : lines.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (prompts.isEmpty()) {
            status.error.set(new ErrorInfo("Nothing to generate", "The batch has no prompts.", "Write one prompt per line."));
            return;
        }
        ModelInfo m = usableModel();
        if (m == null) {
            return;
        }
        for (int i = 0; i < prompts.size(); i++) {
            long s = form.nextSeed();
            GenerationSettings one = withPrompt(form.form().withSeed(s, false), prompts.get(i));
            enqueue(new QueuedJob(one, size.plannedSize.get().binned(), m, null, null,
                    "batch " + (i + 1) + " / " + prompts.size()));
        }
    }

    /**
     * Seed variations of an image: {@code n} images of its prompt and settings from the next seeds
     * (seed + 1 … seed + n), each reproducible alone from its own seed.
     */
    public void variations(GenerationSettings source, int n) {
        status.error.set(null);
        ModelInfo m = usableModel();
        if (m == null || source == null) {
            return;
        }
        GenerationSettings v = source.withSeed(source.seed() + 1, false).withNumImages(Math.max(1, Math.min(8, n)));
        enqueue(new QueuedJob(v, size.plannedSize.get().binned(), m, null, null, "variations of seed " + source.seed()));
    }

    private static GenerationSettings withPrompt(GenerationSettings s, String prompt) {
        return new GenerationSettings(prompt, s.negativePrompt(), s.steps(), s.guidance(), s.sampler(), s.seed(), false,
                s.aspect(), s.sizeClass(), s.width(), s.height(), s.numImages(), s.device(), s.dtype(), s.preview(), s.model(),
                s.loras());
    }

    /**
     * Makes a poster or wallpaper from {@code source} (a history item's or the canvas image's,
     * with their seed) at {@code spec}'s size, queued like {@link #generate()}: the canvas shows
     * its previews and the progress bar its stages; the finished poster is shown, written to
     * {@code spec.out()} and added to the history.
     */
    public void exportPoster(GenerationSettings source, PosterSpec spec) {
        status.error.set(null);
        ModelInfo m = model.info.get();
        if (m == null || !m.usable()) {
            status.error.set(new ErrorInfo("No usable model", "A poster is generated again at high resolution with the model.",
                    ModelViewModel.NO_MODEL_ADVICE));
            return;
        }
        Path folder = spec.out() == null ? null : spec.out().toAbsolutePath().getParent();
        if (folder != null) {
            settings.update(a -> a.withLastPosterFolder(folder.toString()));
        }
        enqueue(new QueuedJob(source.withSeed(source.seed(), false), false, m, spec, null, ""));
    }

    private void enqueue(QueuedJob job) {
        queue.add(job);
        if (current == null) {
            startNext();
        } else {
            int ahead = queue.indexOf(job);
            job.progressText.set("Waiting (" + ahead + " ahead)");
            status.status.set("Queued: " + job.title() + " (" + ahead + " ahead)");
        }
    }

    /** Starts the first waiting job when none runs. */
    private void startNext() {
        if (current != null) {
            return;
        }
        QueuedJob job = queue.stream().filter(j -> j.state.get() == QueuedJob.State.WAITING).findFirst().orElse(null);
        if (job == null) {
            return;
        }
        current = job;
        job.state.set(QueuedJob.State.RUNNING);
        lastPreview = null;
        lastStage = null;
        lastStep = null;
        progressStartNanos = 0;
        status.status.set("");
        running.set(true);
        progress.set(0);
        progressText.set(job.isPoster() ? "Starting poster\u2026" : "Starting\u2026");
        job.progressText.set(progressText.get());
        lastOutcome.set(null);
        try {
            var request = requestFor(job);
            // the token, not the handle, identifies the job: its first events may arrive before submit returns
            long token = ++jobToken;
            currentJob = job.isPoster()
                    ? services.engine().submitPoster(request, job.poster, ev -> services.ui().execute(() -> onEvent(token, ev)))
                    : services.engine().submit(request, ev -> services.ui().execute(() -> onEvent(token, ev)));
        } catch (RuntimeException e) {
            queue.remove(job);
            current = null;
            running.set(false);
            progressText.set("Not started");
            status.error.set(new ErrorInfo(job.isPoster() ? "Could not start the poster" : "Could not start",
                    String.valueOf(e.getMessage()), job.isPoster() ? "Check the size and destination." : "Check the settings and try again."));
            startNext();
        }
    }

    /** The engine request for a queued job. */
    private studio.pixart.engine.pipeline.GenerationRequest requestFor(QueuedJob job) {
        var request = job.settings.toRequest(job.settings.seed(), job.binning).withModel(job.model.root().toString())
                .withMemory(settings.get().preferences().memoryMode());
        if (job.start != null) {
            request = request.withImageToImage(new studio.pixart.engine.pipeline.ImageToImage(job.start.image(),
                    job.start.strength(), job.start.mask()));
        }
        return request;
    }

    /** Cancels the running job (the waiting ones stay queued). */
    public void cancel() {
        JobHandle j = currentJob;
        if (j != null && running.get()) {
            progressText.set("Cancelling\u2026");
            j.cancel();
        }
    }

    /** Cancels a job: a waiting one leaves the queue, the running one stops. */
    public void cancel(QueuedJob job) {
        if (job == current) {
            cancel();
        } else if (queue.remove(job)) {
            status.status.set("Removed from the queue: " + job.title());
        }
    }

    /** Moves a waiting job one place earlier ({@code -1}) or later ({@code +1}) among the waiting ones. */
    public void move(QueuedJob job, int by) {
        int i = queue.indexOf(job);
        int j = i + by;
        if (i < 0 || job.state.get() != QueuedJob.State.WAITING || j < 0 || j >= queue.size()
                || queue.get(j).state.get() != QueuedJob.State.WAITING) {
            return;
        }
        queue.remove(i);
        queue.add(j, job);
        for (int k = 0; k < queue.size(); k++) {
            if (queue.get(k).state.get() == QueuedJob.State.WAITING) {
                queue.get(k).progressText.set("Waiting (" + k + " ahead)");
            }
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
        } else if (ev instanceof JobEvent.Step st && current.isPoster()) {
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
            next();
        } else if (ev instanceof JobEvent.Failed f) {
            end(f, "Failed");
            progress.set(0);
            status.error.set(new ErrorInfo("Generation failed", f.message(), f.advice()));
            next();
        } else if (ev instanceof JobEvent.Cancelled c) {
            String what = cancelledText(c);
            QueuedJob job = current;
            end(c, what);
            progress.set(0);
            if (settings.get().preferences().keepCancelled()) {
                RgbImage preview = lastPreview;
                String label = job.model.label();
                services.io().execute(() -> history.record(HistoryEntry.Status.CANCELLED, 0, job.settings, null, label, preview,
                        Map.of(), what));
            }
            next();
        }
        if (current != null && !ev.isTerminal()) {
            current.progress.set(progress.get());
            current.progressText.set(progressText.get());
        }
    }

    /** The running job ended: it leaves the queue and the next waiting one starts. */
    private void next() {
        queue.remove(current);
        current = null;
        currentJob = null;
        // only now: whoever sees running == false can submit the next job without queueing behind this one
        running.set(false);
        startNext();
    }

    /** The poster's stages as one bar: base 0-30 %, upscale 30-35 %, refinement 35-90 %, decode 90-100 %. */
    static double posterProgress(JobEvent.Stage st) {
        double f = st.total() <= 0 ? 0 : Math.min(1, st.done() / (double) st.total());
        return switch (st.stage()) {
            case BASE -> 0.30 * f;
            case UPSCALE -> 0.30 + 0.05 * f;
            case REFINE -> 0.35 + 0.55 * f;
            case DECODE -> 0.90 + 0.10 * f;
        };
    }

    static String stageText(JobEvent.Stage st) {
        return switch (st.stage()) {
            case BASE -> "Base image: step " + st.done() + " / " + st.total();
            case UPSCALE -> "Upscaling\u2026";
            case REFINE -> "Refining at full size: step " + st.done() + " / " + st.total();
            case DECODE -> "Decoding tile " + st.done() + " / " + st.total();
        };
    }

    /** What was cancelled, where: "Cancelled at step 8 / 20", "Poster cancelled while upscaling". */
    String cancelledText(JobEvent.Cancelled c) {
        if (current != null && current.isPoster()) {
            if (lastStage == null) {
                return "Poster cancelled before it started";
            }
            return "Poster cancelled " + switch (lastStage.stage()) {
                case BASE -> "in the base image at step " + lastStage.done() + " / " + lastStage.total();
                case UPSCALE -> "while upscaling";
                case REFINE -> "in the refinement at step " + lastStage.done() + " / " + lastStage.total();
                case DECODE -> "while decoding (tile " + lastStage.done() + " / " + lastStage.total() + ")";
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
        Path out = current.isPoster() ? current.poster.out() : null;
        if (out != null && ev instanceof JobEvent.Finished) {
            // the progress row stays short (the full path goes to the status line)
            text = text + "  \u00b7  saved " + out.getFileName();
            status.status.set("Poster saved to " + out);
        }
        progressText.set(text);
        lastOutcome.set(ev);
    }

    private void finish(JobEvent.Finished f) {
        progress.set(1);
        Duration total = f.timings().getOrDefault("total", f.timings().values().stream().reduce(Duration.ZERO, Duration::plus));
        QueuedJob job = current;
        long seed = job.settings.seed();
        int n = f.images().size();
        end(f, "Done in " + Texts.formatDuration(total) + "  \u00b7  seed " + seed + (n > 1 ? "\u2013" + (seed + n - 1) : ""));
        List<GenerationSettings> perImage = new ArrayList<>();
        List<Map<String, Object>> metadata = new ArrayList<>();
        for (int i = 0; i < f.images().size(); i++) {
            GenerationSettings one = imageSettings(job.settings, i, f.images().size());
            perImage.add(one);
            metadata.add(one.toMetadata(i < f.metadata().size() ? f.metadata().get(i) : null));
        }
        if (!f.images().isEmpty()) {
            canvas.showImage(f.images().get(0), perImage.get(0), metadata.get(0));
        }
        Map<String, Long> ms = new LinkedHashMap<>();
        f.timings().forEach((k, v) -> ms.put(k, v.toMillis()));
        String label = job.model.label();
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

    /** Drops the waiting jobs and cancels the running one (the engine is closed with the services). */
    void close() {
        queue.removeIf(j -> j != current);
        if (currentJob != null) {
            currentJob.cancel();
        }
    }
}

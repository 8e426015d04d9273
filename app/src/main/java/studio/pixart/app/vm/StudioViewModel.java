package studio.pixart.app.vm;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javax.imageio.ImageIO;
import studio.pixart.app.StudioContext;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.history.HistoryStore;
import studio.pixart.app.io.ImageFiles;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.app.model.AspectRatio;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.model.PlannedSize;
import studio.pixart.app.model.SizeClass;
import studio.pixart.app.model.TokenCount;
import studio.pixart.app.model.TokenCounter;
import studio.pixart.app.settings.AppSettings;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.app.settings.Sampler;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.job.GenerationService;
import studio.pixart.engine.job.JobEvent;
import studio.pixart.engine.job.PosterSpec;
import studio.pixart.engine.job.JobHandle;
import studio.pixart.engine.pipeline.GenerationRequest.PreviewMode;

/**
 * The studio's state and actions as plain JavaFX properties, testable without a Stage. All slow
 * work (model inspection, database, files) runs on one I/O thread and the engine on its own
 * worker; results come back through {@code ui} (Platform::runLater in the app, direct in tests).
 * Errors land in {@link #error} and never clear the form.
 */
public final class StudioViewModel implements AutoCloseable {
    public static final String NO_MODEL_ADVICE = "Choose a pipeline folder or a Hugging Face model id in the model bar "
            + "(Model → Open folder…). The README section \"Getting a model\" shows how to download PixArt-Σ.";
    private static final int HISTORY_LIMIT = 200;

    private final StudioContext ctx;
    private final Executor ui;
    private final ExecutorService io = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "studio-io");
        t.setDaemon(true);
        return t;
    });
    private final SecureRandom random = new SecureRandom();
    private GenerationService service;
    private HistoryStore history;
    private AppSettings appSettings = AppSettings.empty();
    private JobHandle currentJob;
    /** Which generate() the UI listens to: events of older jobs (late deliveries) are dropped. */
    private long jobToken;
    private GenerationSettings currentJobSettings;
    private RgbImage lastPreview;
    /** Where the running poster job writes its file (null for a generation job). */
    private Path posterOut;
    /** What an export of the canvas image embeds (engine description + form); null for previews. */
    private Map<String, Object> imageMetadata;

    // prompt panel
    public final StringProperty prompt = new SimpleStringProperty("");
    public final StringProperty negativePrompt = new SimpleStringProperty("");
    public final StringProperty tokenLabel = new SimpleStringProperty("");
    public final BooleanProperty tokenOver = new SimpleBooleanProperty(false);
    public final StringProperty tokenOverflow = new SimpleStringProperty("");
    private final ObjectProperty<TokenCounter> tokenCounter = new SimpleObjectProperty<>();

    // size
    public final List<AspectRatio> aspectRatios = AspectRatio.presets();
    public final ObjectProperty<AspectRatio> aspect = new SimpleObjectProperty<>(aspectRatios.get(0));
    public final ObservableList<SizeClass> sizeClasses = FXCollections.observableArrayList(SizeClass.STANDARD);
    public final ObjectProperty<SizeClass> sizeClass = new SimpleObjectProperty<>(SizeClass.STANDARD.get(1));
    public final ObjectProperty<PlannedSize> plannedSize = new SimpleObjectProperty<>();
    public final StringProperty sizeLabel = new SimpleStringProperty("");
    /** Snap to the model's aspect-ratio bins (the reference pipeline's default); off = exact size. */
    public final BooleanProperty binning = new SimpleBooleanProperty(true);
    /** False when the model's sample size has no bin table (the switch is disabled then). */
    public final BooleanProperty binningAvailable = new SimpleBooleanProperty(true);

    // settings
    public final IntegerProperty steps = new SimpleIntegerProperty(20);
    public final DoubleProperty guidance = new SimpleDoubleProperty(4.5);
    public final ObjectProperty<Sampler> sampler = new SimpleObjectProperty<>(Sampler.DPM);
    public final LoraListModel loraList = new LoraListModel();
    public final LongProperty seed = new SimpleLongProperty(0);
    public final BooleanProperty randomSeed = new SimpleBooleanProperty(true);
    public final LongProperty lastSeed = new SimpleLongProperty(-1);
    public final IntegerProperty numImages = new SimpleIntegerProperty(1);
    public final StringProperty device = new SimpleStringProperty("auto");
    public final StringProperty dtype = new SimpleStringProperty("auto");
    public final ObjectProperty<PreviewMode> previewMode = new SimpleObjectProperty<>(PreviewMode.FAST);

    // model
    public final ObjectProperty<ModelInfo> model = new SimpleObjectProperty<>();
    public final StringProperty modelSpec = new SimpleStringProperty("");
    public final BooleanProperty modelLoading = new SimpleBooleanProperty(false);
    public final StringProperty modelMessage = new SimpleStringProperty("No model loaded. " + NO_MODEL_ADVICE);
    public final ObservableList<String> cachedModels = FXCollections.observableArrayList();

    // job and canvas
    public final BooleanProperty running = new SimpleBooleanProperty(false);
    public final DoubleProperty progress = new SimpleDoubleProperty(0);
    public final StringProperty progressText = new SimpleStringProperty("Ready");
    public final ObjectProperty<RgbImage> image = new SimpleObjectProperty<>();
    public final BooleanProperty imageIsPreview = new SimpleBooleanProperty(false);
    /** Settings of the image on the canvas (null while it is a preview or nothing is shown). */
    public final ObjectProperty<GenerationSettings> imageSettings = new SimpleObjectProperty<>();
    public final ObjectProperty<ErrorInfo> error = new SimpleObjectProperty<>();
    public final StringProperty status = new SimpleStringProperty("");
    /** The last job's terminal event (Finished, Failed or Cancelled). */
    public final ObjectProperty<JobEvent> lastOutcome = new SimpleObjectProperty<>();

    // history
    public final ObservableList<HistoryEntry> historyItems = FXCollections.observableArrayList();
    public final StringProperty historyQuery = new SimpleStringProperty("");
    public final ObjectProperty<HistoryEntry> selectedHistory = new SimpleObjectProperty<>();

    public StudioViewModel(StudioContext ctx, Executor ui) {
        this.ctx = ctx;
        this.ui = ui;
        prompt.addListener((o, a, b) -> recount());
        tokenCounter.addListener((o, a, b) -> recount());
        aspect.addListener((o, a, b) -> replan());
        sizeClass.addListener((o, a, b) -> replan());
        binning.addListener((o, a, b) -> replan());
        model.addListener((o, a, b) -> onModelChanged(b));
        historyQuery.addListener((o, a, b) -> refreshHistory());
        tokenCounter.set(StudioContext.fallbackTokenCounter(null));
        replan();
    }

    /**
     * Opens the history, restores the last form and model (or {@code modelOverride} when not null);
     * slow parts run on the I/O thread.
     */
    public void start(String modelOverride) {
        io.execute(() -> {
            AppSettings s = AppSettings.load(settingsFile());
            List<String> cached = safeCachedModels();
            ui.execute(() -> {
                appSettings = s;
                applySettings(s.lastForm(), true);
                cachedModels.setAll(cached);
                if (modelOverride != null) {
                    loadModel(modelOverride);
                } else if (!s.lastModel().isBlank()) {
                    loadModel(s.lastModel());
                }
            });
            try {
                history = HistoryStore.open(ctx.dataDir());
                List<HistoryEntry> items = history.search("", HISTORY_LIMIT);
                ui.execute(() -> historyItems.setAll(items));
            } catch (IOException e) {
                showError("History unavailable", e.getMessage(), "The studio works without it; images can still be exported.");
            }
        });
    }

    private static List<String> safeCachedModels() {
        try {
            return new studio.pixart.engine.model.ModelLocator().cachedModelIds();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private Path settingsFile() {
        return ctx.dataDir().resolve("settings.json");
    }

    // ---------------------------------------------------------------- prompt and size

    private void recount() {
        TokenCounter c = tokenCounter.get();
        if (c == null) {
            return;
        }
        TokenCount t = c.count(prompt.get());
        tokenLabel.set(t.label());
        tokenOver.set(t.over());
        tokenOverflow.set(t.over() ? "Will be cut: \u201c" + abbreviate(t.overflowText(), 120) + "\u201d" : "");
    }

    private void replan() {
        AspectRatio a = aspect.get();
        SizeClass c = sizeClass.get();
        if (a == null || c == null) {
            return;
        }
        int[] req = a.sizeFor(c.side());
        PlannedSize p = ctx.sizePlanner().plan(req[0], req[1], model.get(), binning.get());
        binningAvailable.set(ctx.sizePlanner().hasBins(model.get()));
        plannedSize.set(p);
        sizeLabel.set(p.label());
    }

    private void onModelChanged(ModelInfo m) {
        List<SizeClass> supported = SizeClass.supportedBy(m);
        SizeClass keep = sizeClass.get();
        sizeClasses.setAll(supported);
        if (keep == null || !supported.contains(keep)) {
            // the model's native size is what it does best
            sizeClass.set(supported.get(supported.size() - 1));
        }
        if (m != null && m.lcm()) {
            steps.set(4);
            guidance.set(0);
            sampler.set(Sampler.LCM);
        }
        replan();
        io.execute(() -> {
            TokenCounter counter;
            try {
                counter = ctx.tokenCounters().apply(m);
            } catch (RuntimeException e) {
                counter = StudioContext.fallbackTokenCounter(m);
            }
            TokenCounter c = counter;
            ui.execute(() -> tokenCounter.set(c));
        });
    }

    // ---------------------------------------------------------------- model

    public void loadModel(String spec) {
        if (spec == null || spec.isBlank()) {
            return;
        }
        String s = spec.strip();
        modelSpec.set(s);
        modelLoading.set(true);
        modelMessage.set("Opening " + s + " \u2026");
        io.execute(() -> {
            try {
                ModelInfo info = ctx.modelOpener().apply(s);
                ui.execute(() -> {
                    model.set(info);
                    if (info.usable()) {
                        modelMessage.set(info.root().toString());
                        appSettings = appSettings.withLastModel(s);
                        saveAppSettings();
                    } else {
                        modelMessage.set("This model cannot be used yet:\n\u2022 " + String.join("\n\u2022 ", info.problems()));
                    }
                    modelLoading.set(false);
                });
            } catch (RuntimeException e) {
                ui.execute(() -> {
                    model.set(null);
                    modelMessage.set("Cannot open " + s + ": " + e.getMessage() + "\n" + NO_MODEL_ADVICE);
                    error.set(new ErrorInfo("Model not opened", String.valueOf(e.getMessage()), NO_MODEL_ADVICE));
                    modelLoading.set(false);
                });
            }
        });
    }

    // ---------------------------------------------------------------- generation

    /** The form as one value (seed as typed). */
    public GenerationSettings form() {
        PlannedSize p = plannedSize.get();
        ModelInfo m = model.get();
        return new GenerationSettings(prompt.get(), negativePrompt.get(), steps.get(), guidance.get(), sampler.get().id,
                seed.get(), randomSeed.get(), aspect.get().label(), sizeClass.get().side(), p.deliveredWidth(),
                p.deliveredHeight(), numImages.get(), device.get(), dtype.get(), previewMode.get().name(),
                m == null ? modelSpec.get() : m.spec(), loraList.settings());
    }

    public boolean canGenerate() {
        return !running.get();
    }

    public void generate() {
        if (running.get()) {
            return;
        }
        error.set(null);
        if (prompt.get() == null || prompt.get().isBlank()) {
            error.set(new ErrorInfo("Nothing to generate", "The prompt is empty.", "Describe the image you want in the prompt box."));
            return;
        }
        ModelInfo m = model.get();
        if (m == null) {
            error.set(new ErrorInfo("No model loaded", "Generating needs a PixArt pipeline.", NO_MODEL_ADVICE));
            return;
        }
        if (!m.usable()) {
            error.set(new ErrorInfo("Model incomplete", String.join("; ", m.problems()),
                    "Complete the pipeline folder or pick another model."));
            return;
        }
        long s = randomSeed.get() ? (random.nextLong() & 0xffffffffL) : seed.get();
        lastSeed.set(s);
        if (randomSeed.get()) {
            seed.set(s);
        }
        GenerationSettings settings = form().withSeed(s, false);
        currentJobSettings = settings;
        lastPreview = null;
        running.set(true);
        progress.set(0);
        progressText.set("Starting\u2026");
        lastOutcome.set(null);
        appSettings = appSettings.withLastForm(form());
        saveAppSettings();
        try {
            var request = settings.toRequest(s, plannedSize.get().binned()).withModel(m.root().toString());
            // the token, not the handle, identifies the job: its first events may arrive before submit returns
            long token = ++jobToken;
            currentJob = service().submit(request, ev -> ui.execute(() -> onEvent(token, ev)));
        } catch (RuntimeException e) {
            running.set(false);
            progressText.set("Not started");
            error.set(new ErrorInfo("Could not start", String.valueOf(e.getMessage()), "Check the settings and try again."));
        }
    }

    /**
     * Makes a poster or wallpaper from {@code settings} (a history item's or the canvas image's,
     * with their seed) at {@code spec}'s size, as a job like {@link #generate()}: the canvas shows
     * its previews and the progress bar its stages; the finished poster is shown, written to
     * {@code spec.out()} and added to the history.
     */
    public void exportPoster(GenerationSettings settings, PosterSpec spec) {
        if (running.get()) {
            return;
        }
        error.set(null);
        ModelInfo m = model.get();
        if (m == null || !m.usable()) {
            error.set(new ErrorInfo("No usable model", "A poster is generated again at high resolution with the model.", NO_MODEL_ADVICE));
            return;
        }
        currentJobSettings = settings.withSeed(settings.seed(), false);
        posterOut = spec.out();
        lastPreview = null;
        running.set(true);
        progress.set(0);
        progressText.set("Starting poster\u2026");
        lastOutcome.set(null);
        try {
            var request = currentJobSettings.toRequest(settings.seed(), false).withModel(m.root().toString());
            long token = ++jobToken;
            currentJob = service().submitPoster(request, spec, ev -> ui.execute(() -> onEvent(token, ev)));
        } catch (RuntimeException e) {
            running.set(false);
            progressText.set("Not started");
            error.set(new ErrorInfo("Could not start the poster", String.valueOf(e.getMessage()), "Check the size and destination."));
        }
    }

    private GenerationService service() {
        if (service == null) {
            service = ctx.newService();
        }
        return service;
    }

    public void cancel() {
        JobHandle j = currentJob;
        if (j != null && running.get()) {
            progressText.set("Cancelling\u2026");
            j.cancel();
        }
    }

    public void reuseLastSeed() {
        if (lastSeed.get() >= 0) {
            randomSeed.set(false);
            seed.set(lastSeed.get());
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
            progress.set(posterProgress(st));
            progressText.set(stageText(st));
        } else if (ev instanceof JobEvent.Step && posterOut != null) {
            return; // a poster's steps are shown by its Stage events
        } else if (ev instanceof JobEvent.Step st) {
            int i = Math.min(st.step(), st.total());
            progress.set(i / (double) st.total());
            progressText.set("Step " + i + " / " + st.total() + "  \u00b7  ETA " + formatDuration(st.eta()));
        } else if (ev instanceof JobEvent.Preview p) {
            if (p.imageIndex() == 0) {
                lastPreview = p.image();
                image.set(p.image());
                imageIsPreview.set(true);
                imageSettings.set(null);
                imageMetadata = null;
            }
        } else if (ev instanceof JobEvent.Decoding d) {
            progressText.set(d.tiles() > 1 ? "Decoding tile " + d.tile() + " / " + d.tiles() : "Decoding\u2026");
        } else if (ev instanceof JobEvent.Finished f) {
            finish(f);
        } else if (ev instanceof JobEvent.Failed f) {
            end(f, "Failed");
            progress.set(0);
            error.set(new ErrorInfo("Generation failed", f.message(), f.advice()));
        } else if (ev instanceof JobEvent.Cancelled c) {
            end(c, "Cancelled at step " + c.atStep());
            progress.set(0);
            RgbImage preview = lastPreview;
            GenerationSettings s = currentJobSettings;
            String label = modelLabel();
            io.execute(() -> record(HistoryEntry.Status.CANCELLED, 0, s, null, label, preview, Map.of(),
                    "cancelled at step " + c.atStep()));
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

    private void end(JobEvent ev, String text) {
        Path out = posterOut;
        posterOut = null;
        if (out != null && ev instanceof JobEvent.Finished) {
            text = text + "  \u00b7  saved " + out;
            status.set("Poster saved to " + out);
        }
        running.set(false);
        progressText.set(text);
        lastOutcome.set(ev);
    }

    private void finish(JobEvent.Finished f) {
        progress.set(1);
        Duration total = f.timings().getOrDefault("total", f.timings().values().stream().reduce(Duration.ZERO, Duration::plus));
        end(f, "Done in " + formatDuration(total) + "  \u00b7  seed " + currentJobSettings.seed());
        GenerationSettings s = currentJobSettings;
        List<Map<String, Object>> metadata = new ArrayList<>();
        for (int i = 0; i < f.images().size(); i++) {
            metadata.add(s.toMetadata(i < f.metadata().size() ? f.metadata().get(i) : null));
        }
        if (!f.images().isEmpty()) {
            image.set(f.images().get(0));
            imageIsPreview.set(false);
            imageSettings.set(s);
            imageMetadata = metadata.get(0);
        }
        Map<String, Long> ms = new LinkedHashMap<>();
        f.timings().forEach((k, v) -> ms.put(k, v.toMillis()));
        String label = modelLabel();
        List<RgbImage> images = new ArrayList<>(f.images());
        io.execute(() -> {
            for (int i = 0; i < images.size(); i++) {
                record(HistoryEntry.Status.FINISHED, i, s, metadata.get(i), label, images.get(i), ms, "");
            }
        });
    }

    private String modelLabel() {
        ModelInfo m = model.get();
        return m == null ? "" : m.label();
    }

    /** On the I/O thread: stores one history row (and the full PNG with its metadata for finished images). */
    private void record(HistoryEntry.Status st, int index, GenerationSettings s, Map<String, Object> metadata,
                        String label, RgbImage img, Map<String, Long> timings, String message) {
        if (history == null) {
            return;
        }
        try {
            byte[] thumb = img == null ? new byte[0] : thumbnail(img.toBufferedImage(), 192);
            HistoryStore.ImageWriter full = st == HistoryEntry.Status.FINISHED && img != null
                    ? file -> ImageFiles.write(file, img, metadata) : null;
            HistoryEntry e = new HistoryEntry(0, Instant.now(), st, index, s, label,
                    full != null ? img.width() : s.width(), full != null ? img.height() : s.height(), timings, thumb, "", message);
            history.add(e, full);
            List<HistoryEntry> items = history.search(historyQuery.get(), HISTORY_LIMIT);
            ui.execute(() -> historyItems.setAll(items));
        } catch (IOException | RuntimeException e) {
            showError("Not saved to history", String.valueOf(e.getMessage()), "The image is still on the canvas: export it with File → Export.");
        }
    }

    static byte[] thumbnail(BufferedImage src, int max) throws IOException {
        double scale = Math.min(1.0, max / (double) Math.max(src.getWidth(), src.getHeight()));
        int w = Math.max(1, (int) Math.round(src.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(src.getHeight() * scale));
        BufferedImage t = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        var g = t.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(t, "png", out);
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- settings restore, history, export

    /** Puts settings into the form (from history, a dropped image, or the last session). */
    public void applySettings(GenerationSettings s, boolean keepRandomSeed) {
        prompt.set(s.prompt());
        negativePrompt.set(s.negativePrompt());
        steps.set(s.steps());
        guidance.set(s.guidance());
        Sampler sm = Sampler.parse(s.sampler());
        sampler.set(sm == null ? Sampler.DPM : sm);
        loraList.apply(s.loras());
        seed.set(s.seed());
        randomSeed.set(keepRandomSeed && s.randomSeed());
        numImages.set(Math.max(1, s.numImages()));
        device.set(s.device());
        dtype.set(s.dtype());
        try {
            previewMode.set(PreviewMode.valueOf(s.preview()));
        } catch (IllegalArgumentException e) {
            previewMode.set(PreviewMode.FAST);
        }
        AspectRatio a = aspectRatios.stream().filter(r -> r.label().equals(s.aspect())).findFirst()
                .orElse(AspectRatio.closest(aspectRatios, s.width(), s.height()));
        aspect.set(a);
        SizeClass best = sizeClasses.get(0);
        for (SizeClass c : sizeClasses) {
            if (Math.abs(c.side() - s.sizeClass()) < Math.abs(best.side() - s.sizeClass())) {
                best = c;
            }
        }
        sizeClass.set(best);
    }

    public void restoreFrom(HistoryEntry e) {
        applySettings(e.settings(), false);
        status.set("Settings restored from history (seed " + e.settings().seed() + ")");
    }

    /** Shows a history entry's image on the canvas (loaded off the UI thread). */
    public void show(HistoryEntry e) {
        selectedHistory.set(e);
        if (history == null) {
            return;
        }
        Path p = history.imagePath(e);
        io.execute(() -> {
            try {
                BufferedImage img = p != null ? ImageIO.read(p.toFile())
                        : e.thumbnail().length > 0 ? ImageIO.read(new java.io.ByteArrayInputStream(e.thumbnail())) : null;
                if (img == null) {
                    return;
                }
                RgbImage rgb = RgbImage.fromBufferedImage(img);
                Map<String, Object> meta = p == null ? null : ImageFiles.readMetadata(p);
                ui.execute(() -> {
                    if (!running.get()) {
                        image.set(rgb);
                        imageIsPreview.set(p == null);
                        imageSettings.set(p == null ? null : e.settings());
                        imageMetadata = p == null ? null : meta;
                    }
                });
            } catch (IOException ex) {
                showError("Image not found", ex.getMessage(), "The history entry is kept; delete it if the file is gone.");
            }
        });
    }

    public void delete(HistoryEntry e) {
        if (history == null) {
            return;
        }
        io.execute(() -> {
            try {
                history.delete(e.id());
                List<HistoryEntry> items = history.search(historyQuery.get(), HISTORY_LIMIT);
                ui.execute(() -> {
                    historyItems.setAll(items);
                    if (selectedHistory.get() != null && selectedHistory.get().id() == e.id()) {
                        selectedHistory.set(null);
                    }
                });
            } catch (IOException ex) {
                showError("Not deleted", ex.getMessage(), "Try again; if it keeps failing, check the data folder " + ctx.dataDir());
            }
        });
    }

    public void refreshHistory() {
        if (history == null) {
            return;
        }
        String q = historyQuery.get();
        io.execute(() -> {
            try {
                List<HistoryEntry> items = history.search(q, HISTORY_LIMIT);
                ui.execute(() -> historyItems.setAll(items));
            } catch (IOException ex) {
                showError("History unavailable", ex.getMessage(), "");
            }
        });
    }

    /** Restores settings from a dropped or opened image file; shows the image too. */
    public void restoreFromFile(Path file) {
        io.execute(() -> {
            try {
                GenerationSettings s = ImageFiles.readSettings(file);
                Map<String, Object> meta = ImageFiles.readMetadata(file);
                BufferedImage img = ImageIO.read(file.toFile());
                RgbImage rgb = img == null ? null : RgbImage.fromBufferedImage(img);
                ui.execute(() -> {
                    applySettings(s, false);
                    if (rgb != null && !running.get()) {
                        image.set(rgb);
                        imageIsPreview.set(false);
                        imageSettings.set(s);
                        imageMetadata = meta;
                    }
                    error.set(null);
                    status.set("Settings restored from " + file.getFileName());
                });
            } catch (IOException | RuntimeException e) {
                showError("No settings in this file", String.valueOf(e.getMessage()),
                        "Drop a PNG made by PixArt Studio or by a tool that writes a 'parameters' text chunk.");
            }
        });
    }

    public boolean canExport() {
        return image.get() != null && !imageIsPreview.get();
    }

    /**
     * Exports the canvas image with its settings by extension (.png, .jpg, .tif; a name without one
     * gets .png); {@code done} gets the file written on success (UI thread).
     */
    public void export(Path chosen, Consumer<Path> done) {
        Path file = chosen;
        try {
            ImageExport.formatOf(file);
        } catch (IllegalArgumentException e) {
            file = file.resolveSibling(file.getFileName() + ".png"); // no known extension: PNG keeps the settings
        }
        Path target = file;
        RgbImage img = image.get();
        GenerationSettings s = imageSettings.get();
        Map<String, Object> meta = s == null ? null : s.toMetadata(imageMetadata);
        if (img == null || imageIsPreview.get()) {
            error.set(new ErrorInfo("Nothing to export", "There is no finished image on the canvas.", "Generate an image or pick one from the history."));
            return;
        }
        io.execute(() -> {
            try {
                ImageFiles.write(target, img, meta);
                ui.execute(() -> {
                    status.set("Exported " + target);
                    if (done != null) {
                        done.accept(target);
                    }
                });
            } catch (IOException | RuntimeException e) {
                showError("Export failed", String.valueOf(e.getMessage()), "Choose another folder or file name.");
            }
        });
    }

    private void showError(String title, String message, String advice) {
        ui.execute(() -> error.set(new ErrorInfo(title, message, advice)));
    }

    public void dismissError() {
        error.set(null);
    }

    private void saveAppSettings() {
        AppSettings s = appSettings;
        io.execute(() -> {
            try {
                s.save(settingsFile());
            } catch (IOException e) {
                showError("Settings not saved", e.getMessage(), "Check that " + ctx.dataDir() + " is writable.");
            }
        });
    }

    /** Remembers the form, stops the engine and closes the database (waits for pending I/O). */
    @Override
    public void close() {
        appSettings = appSettings.withLastForm(form());
        saveAppSettings();
        if (currentJob != null) {
            currentJob.cancel();
        }
        if (service != null) {
            service.close();
        }
        io.execute(() -> {
            if (history != null) {
                history.close();
            }
        });
        io.shutdown();
        try {
            io.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until every task queued on the I/O thread so far has run (tests). */
    public void awaitIo() throws InterruptedException {
        var latch = new java.util.concurrent.CountDownLatch(1);
        io.execute(latch::countDown);
        latch.await(20, java.util.concurrent.TimeUnit.SECONDS);
    }

    public StudioContext context() {
        return ctx;
    }

    static String formatDuration(Duration d) {
        if (d == null) {
            return "\u2014";
        }
        long ms = d.toMillis();
        if (ms < 10_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        long s = Math.round(ms / 1000.0);
        return s < 60 ? s + " s" : (s / 60) + " min " + (s % 60) + " s";
    }

    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026";
    }
}

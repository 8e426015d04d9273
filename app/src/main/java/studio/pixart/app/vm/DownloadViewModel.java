package studio.pixart.app.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import studio.pixart.app.download.DownloadService;
import studio.pixart.app.download.PendingDownloads;
import studio.pixart.engine.hub.DownloadProgress;
import studio.pixart.engine.hub.DownloadRequest;
import studio.pixart.engine.hub.DownloadResult;
import studio.pixart.engine.hub.HubCache;
import studio.pixart.engine.hub.HubException;
import studio.pixart.engine.hub.ModelCatalogue;

/**
 * The Download model dialog's state, without any window: the catalogue with each model's status in
 * the cache, the chosen model and precision, and the running download's progress, speed and ETA;
 * download, pause, resume and cancel. Unfinished downloads are remembered ({@link PendingDownloads})
 * and resumed by {@link #resumePending()} on the next start; a finished one is opened.
 */
public final class DownloadViewModel {
    public enum State { IDLE, RUNNING, PAUSING, PAUSED, DONE, FAILED, CANCELLED }

    /** One catalogue line as the table shows it. */
    public record Row(ModelCatalogue.Entry entry, String size, String memory, String status) {
        public String name() {
            return entry.name();
        }
    }

    public final ObservableList<Row> rows = FXCollections.observableArrayList();
    public final ObjectProperty<Row> selected = new SimpleObjectProperty<>();
    /** Prefer fp16 weight files where a repository has them (smaller download, same images on a GPU). */
    public final BooleanProperty halfPrecision = new SimpleBooleanProperty(false);
    public final ObjectProperty<State> state = new SimpleObjectProperty<>(State.IDLE);
    /** The model being downloaded (or last downloaded). */
    public final ObjectProperty<ModelCatalogue.Entry> active = new SimpleObjectProperty<>();
    /** 0..1; -1 while the file list is being read. */
    public final DoubleProperty progress = new SimpleDoubleProperty(0);
    public final StringProperty progressText = new SimpleStringProperty("");
    public final StringProperty speedText = new SimpleStringProperty("");
    public final StringProperty etaText = new SimpleStringProperty("");
    /** The files in transfer now. */
    public final StringProperty fileText = new SimpleStringProperty("");
    /** Outcome, error or the latest note. */
    public final StringProperty message = new SimpleStringProperty("");

    public final BooleanBinding canDownload;
    public final BooleanBinding canPause;
    public final BooleanBinding canResume;
    public final BooleanBinding canCancel;

    private final ModelCatalogue catalogue;
    private final DownloadService service;
    private final PendingDownloads pending;
    private final Consumer<String> openModel;
    private DownloadRequest request;

    /**
     * @param openModel opens a finished model in the studio (a hub id the locator resolves)
     */
    public DownloadViewModel(ModelCatalogue catalogue, DownloadService service, PendingDownloads pending,
                             Consumer<String> openModel) {
        this.catalogue = catalogue;
        this.service = service;
        this.pending = pending;
        this.openModel = openModel;
        BooleanBinding busy = Bindings.createBooleanBinding(() -> state.get() == State.RUNNING || state.get() == State.PAUSING, state);
        canDownload = Bindings.createBooleanBinding(() -> selected.get() != null && !busy.get() && state.get() != State.PAUSED,
                selected, state);
        canPause = Bindings.createBooleanBinding(() -> state.get() == State.RUNNING, state);
        canResume = Bindings.createBooleanBinding(() -> state.get() == State.PAUSED || state.get() == State.FAILED && request != null, state);
        canCancel = Bindings.createBooleanBinding(() -> state.get() == State.RUNNING || state.get() == State.PAUSED, state);
        refreshRows();
        if (!rows.isEmpty()) {
            selected.set(rows.stream().filter(r -> r.entry().equals(catalogue.defaultEntry())).findFirst().orElse(rows.get(0)));
        }
    }

    public ModelCatalogue catalogue() {
        return catalogue;
    }

    /** Re-reads which catalogue models are in the cache, partly downloaded, or not there. */
    public void refreshRows() {
        Row sel = selected.get();
        HubCache cache = service.cache();
        List<Row> list = catalogue.entries().stream().map(e -> {
            boolean baseThere = e.base() == null || e.baseSizeBytes() == 0 || downloaded(cache, e.base());
            long size = e.sizeBytes() + (baseThere ? 0 : e.baseSizeBytes());
            String status = downloaded(cache, e.repo()) ? "downloaded" : partial(cache, e.repo()) ? "partly downloaded" : "";
            return new Row(e, formatBytes(size) + (baseThere ? "" : " with base"),
                    e.ramGb() + " GB / " + e.vramGb() + " GB", status);
        }).toList();
        rows.setAll(list);
        if (sel != null) {
            rows.stream().filter(r -> r.entry().equals(sel.entry())).findFirst().ifPresent(selected::set);
        }
    }

    static boolean downloaded(HubCache cache, String repo) {
        String commit = cache.commitOf(repo, "main");
        return commit != null && Files.isDirectory(cache.snapshot(repo, commit));
    }

    static boolean partial(HubCache cache, String repo) {
        try (Stream<java.nio.file.Path> s = Files.list(cache.repoDir(repo).resolve("blobs"))) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".incomplete"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Downloads the selected model. */
    public void download() {
        Row r = selected.get();
        if (r != null) {
            download(r.entry());
        }
    }

    /** The first-start button: the catalogue's default (PixArt-Σ 1024). */
    public void downloadDefault() {
        ModelCatalogue.Entry e = catalogue.defaultEntry();
        rows.stream().filter(r -> r.entry().equals(e)).findFirst().ifPresent(selected::set);
        if (!service.running()) {
            download(e);
        }
    }

    public void download(ModelCatalogue.Entry e) {
        DownloadRequest req = e.request(halfPrecision.get() ? "fp16" : null);
        pending.add(e.id(), req);
        active.set(e);
        begin(req);
    }

    /** Stops the transfer, keeping the partial files; {@link #resume()} continues. */
    public void pause() {
        if (state.get() == State.RUNNING) {
            state.set(State.PAUSING);
            message.set("Pausing…");
            service.stop();
        }
    }

    public void resume() {
        if (request != null && (state.get() == State.PAUSED || state.get() == State.FAILED)) {
            begin(request);
        }
    }

    /** Stops and forgets the download; partial files stay in the cache, so a later download resumes them. */
    public void cancel() {
        if (request == null) {
            return;
        }
        pending.remove(request.repoId());
        if (state.get() == State.RUNNING || state.get() == State.PAUSING) {
            state.set(State.CANCELLED);
            service.stop();
        } else {
            state.set(State.CANCELLED);
        }
        message.set("Cancelled. The partial files stay in the Hugging Face cache; downloading the model again resumes them.");
        refreshRows();
    }

    /** At startup: continues the download the last session left unfinished. */
    public boolean resumePending() {
        List<PendingDownloads.Pending> list = pending.load();
        if (list.isEmpty() || service.running()) {
            return false;
        }
        PendingDownloads.Pending p = list.get(0);
        ModelCatalogue.Entry e = p.catalogueId() == null ? null : catalogue.find(p.catalogueId());
        active.set(e);
        if (e != null) {
            rows.stream().filter(r -> r.entry().equals(e)).findFirst().ifPresent(selected::set);
        }
        try {
            begin(p.request());
        } catch (IllegalArgumentException bad) {
            pending.remove(p.repo());
            return false;
        }
        return true;
    }

    private void begin(DownloadRequest req) {
        if (service.running()) {
            message.set("A moment: the previous download is still stopping.");
            return;
        }
        request = req;
        state.set(State.RUNNING);
        progress.set(-1);
        progressText.set("Reading the file list of " + req.repoId() + "…");
        speedText.set("");
        etaText.set("");
        fileText.set("");
        message.set("");
        service.start(req, new DownloadService.Listener() {
            @Override
            public void progress(DownloadProgress p) {
                show(p);
            }

            @Override
            public void note(String m) {
                message.set(m);
            }

            @Override
            public void finished(DownloadResult r) {
                // the state changes last: whoever watches it sees everything else already updated
                pending.remove(req.repoId());
                progress.set(1);
                etaText.set("");
                speedText.set("");
                fileText.set("");
                message.set(title() + " is ready" + (r.bytesTransferred() == 0 ? " (it was already in the cache)." : "."));
                refreshRows();
                openModel.accept(r.modelSpec());
                state.set(State.DONE);
            }

            @Override
            public void cancelled() {
                speedText.set("");
                etaText.set("");
                fileText.set("");
                refreshRows();
                if (state.get() != State.CANCELLED) {
                    message.set("Paused. Resume continues where it stopped, also after a restart.");
                    state.set(State.PAUSED);
                }
            }

            @Override
            public void failed(Throwable error) {
                speedText.set("");
                etaText.set("");
                message.set(String.valueOf(error.getMessage()));
                if (error instanceof HubException he && !he.transientFailure() && he.kind() != HubException.Kind.DISK
                        && he.kind() != HubException.Kind.OFFLINE) {
                    pending.remove(req.repoId()); // retrying after a restart would fail the same way
                }
                refreshRows();
                state.set(State.FAILED);
            }
        });
    }

    private String title() {
        ModelCatalogue.Entry e = active.get();
        return e != null ? e.name() : request.repoId();
    }

    private void show(DownloadProgress p) {
        if (p.phase() == DownloadProgress.Phase.RESOLVING) {
            progress.set(-1);
            if (p.totalBytes() > 0) {
                progressText.set("Checking " + p.files().size() + " files…");
            }
            return;
        }
        if (p.phase() != DownloadProgress.Phase.DOWNLOADING && p.phase() != DownloadProgress.Phase.FINISHING) {
            return;
        }
        progress.set(p.fraction());
        progressText.set(String.format(Locale.ROOT, "%s of %s (%.0f %%)", formatBytes(p.doneBytes()),
                formatBytes(p.totalBytes()), p.fraction() * 100));
        speedText.set(p.bytesPerSecond() > 0 ? formatBytes((long) p.bytesPerSecond()) + "/s" : "");
        etaText.set(formatEta(p.eta()));
        fileText.set(String.join(", ", p.files().stream()
                .filter(f -> f.state() == DownloadProgress.FileState.DOWNLOADING)
                .map(f -> f.path().substring(f.path().lastIndexOf('/') + 1)).toList()));
    }

    public static String formatBytes(long bytes) {
        if (bytes >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
        }
        if (bytes >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
        return String.format(Locale.ROOT, "%.0f kB", bytes / 1e3);
    }

    public static String formatEta(Duration eta) {
        if (eta == null) {
            return "";
        }
        long s = eta.getSeconds();
        if (s < 60) {
            return "less than a minute left";
        }
        if (s < 3600) {
            return "about " + (s + 30) / 60 + " min left";
        }
        return String.format(Locale.ROOT, "about %d h %02d min left", s / 3600, (s % 3600 + 30) / 60);
    }

    public void close() {
        service.close();
    }
}

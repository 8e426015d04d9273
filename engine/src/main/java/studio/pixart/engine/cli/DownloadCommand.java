package studio.pixart.engine.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import studio.pixart.engine.hub.DownloadCancelledException;
import studio.pixart.engine.hub.DownloadJob;
import studio.pixart.engine.hub.DownloadListener;
import studio.pixart.engine.hub.DownloadProgress;
import studio.pixart.engine.hub.DownloadRequest;
import studio.pixart.engine.hub.DownloadResult;
import studio.pixart.engine.hub.HubDownloader;
import studio.pixart.engine.hub.HubSettings;
import studio.pixart.engine.hub.ModelCatalogue;

@Command(name = "download", description = "Download a PixArt model from the Hugging Face Hub into the hub cache "
        + "(resumable, every file verified). MODEL is a catalogue id (see --list) or a hub id ORG/NAME.")
final class DownloadCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "catalogue id (e.g. sigma-1024) or hub model id")
    String model;

    @Option(names = "--revision", paramLabel = "R", description = "branch, tag or commit (default: the catalogue's, else main)")
    String revision;

    @Option(names = "--variant", paramLabel = "V", description = "weight variant to prefer where the repo has it: fp16, bf16")
    String variant;

    @Option(names = "--base", paramLabel = "MODEL", description = "hub id the text encoder, tokenizer, VAE and scheduler "
            + "come from when MODEL has only a transformer (default: the catalogue's, else "
            + "PixArt-alpha/pixart_sigma_sdxlvae_T5_diffusers)")
    String base;

    @Option(names = "--list", description = "list the catalogue and exit")
    boolean list;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "hub cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub, "
            + "else ~/.cache/huggingface/hub)")
    Path cacheDir;

    @Option(names = "--endpoint", paramLabel = "URL", description = "hub or mirror URL (default: $HF_ENDPOINT, else https://huggingface.co)")
    URI endpoint;

    @Option(names = "--jobs", paramLabel = "N", description = "files downloaded at the same time (default: 3)")
    Integer jobs;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ModelCatalogue catalogue = ModelCatalogue.load();
        if (list) {
            for (ModelCatalogue.Entry e : catalogue.entries()) {
                out.println(e.describe());
            }
            out.println();
            out.println("Sizes are estimates (transformer-only models include their base if it is not downloaded yet);");
            out.println("all are licensed " + catalogue.defaultEntry().license() + ".");
            out.flush();
            return 0;
        }
        if (model == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give MODEL (a catalogue id or ORG/NAME), or --list");
        }
        ModelCatalogue.Entry entry = catalogue.find(model);
        DownloadRequest request;
        try {
            request = entry != null
                    ? new DownloadRequest(entry.repo(), revision != null ? revision : entry.revision(), variant,
                    base != null ? base : entry.base())
                    : model.contains("@") && revision == null
                    // ORG/NAME@rev, the form the other commands accept
                    ? new DownloadRequest(model.substring(0, model.indexOf('@')), model.substring(model.indexOf('@') + 1), variant, base)
                    : new DownloadRequest(model, revision, variant, base);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage()
                    + (model.contains("/") ? "" : "; see `pixart download --list`"));
        }
        HubSettings settings = HubSettings.fromEnvironment();
        if (cacheDir != null) {
            settings = settings.withCacheDir(cacheDir);
        }
        if (endpoint != null) {
            settings = settings.withEndpoint(endpoint);
        }
        if (jobs != null) {
            settings = settings.withParallelFiles(jobs);
        }
        if (entry != null) {
            err.println(entry.name() + " (" + entry.repo() + "), licence: " + entry.license() + " — " + entry.licenseUrl());
        }
        err.println("downloading " + request.modelSpec() + " into " + settings.cacheDir());
        err.flush();

        ProgressPrinter printer = new ProgressPrinter(err, System.console() != null);
        DownloadJob job = new HubDownloader(settings).start(request, printer);
        AtomicReference<Boolean> finished = new AtomicReference<>(false);
        Thread hook = new Thread(() -> {
            if (!finished.get()) {
                job.cancel();
                try {
                    job.result().get(3, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // ending anyway; the partial files are on disk
                }
                err.println("\ncancelled; run the same command again to resume");
                err.flush();
            }
        }, "pixart-download-ctrl-c");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            DownloadResult r = job.await();
            finished.set(true);
            printer.finish();
            err.printf(Locale.ROOT, "done: %d files downloaded (%s), %d already in the cache%n", r.filesDownloaded(),
                    describe(r.bytesTransferred()), r.filesReused());
            err.println("use it with: pixart generate --model " + r.modelSpec()
                    + (r.baseSpec() != null ? " --base " + r.baseSpec() : "") + " --prompt …");
            err.flush();
            out.println(r.snapshot());
            out.flush();
            return 0;
        } catch (DownloadCancelledException e) {
            finished.set(true);
            printer.finish();
            err.println("cancelled; partial files are kept — run the same command again to resume");
            err.flush();
            return 130;
        } finally {
            finished.set(true);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C in progress: the hook reports
            }
        }
    }

    static String describe(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.1f kB", bytes / 1024.0);
    }

    static String describe(Duration d) {
        if (d == null) {
            return "--";
        }
        long s = d.getSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }

    /** A redrawn bar on a terminal; a plain line every few seconds (and per finished file) otherwise. */
    static final class ProgressPrinter implements DownloadListener {
        private final PrintWriter err;
        private final boolean terminal;
        private long lastLine;
        private int lastBarLength;
        private final java.util.Set<String> reported = java.util.concurrent.ConcurrentHashMap.newKeySet();

        ProgressPrinter(PrintWriter err, boolean terminal) {
            this.err = err;
            this.terminal = terminal;
        }

        @Override
        public synchronized void onNote(String message) {
            clearBar();
            err.println("note: " + message);
            err.flush();
        }

        @Override
        public synchronized void onProgress(DownloadProgress p) {
            if (p.phase() != DownloadProgress.Phase.DOWNLOADING && p.phase() != DownloadProgress.Phase.FINISHING) {
                return;
            }
            for (DownloadProgress.FileProgress f : p.files()) {
                if (f.state() == DownloadProgress.FileState.DONE && reported.add(f.repoId() + "/" + f.path())) {
                    clearBar();
                    err.println("verified " + f.path() + " (" + describe(f.size()) + ")");
                }
            }
            String summary = String.format(Locale.ROOT, "%3.0f%%  %s / %s  %s/s  ETA %s", p.fraction() * 100,
                    describe(p.doneBytes()), describe(p.totalBytes()), describe((long) p.bytesPerSecond()), describe(p.eta()));
            if (terminal) {
                int width = 30;
                int filled = (int) Math.round(p.fraction() * width);
                String bar = "\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + summary;
                err.print(bar + " ".repeat(Math.max(0, lastBarLength - bar.length())));
                lastBarLength = bar.length();
            } else if (System.nanoTime() - lastLine > 5_000_000_000L) {
                lastLine = System.nanoTime();
                err.println("progress: " + summary.trim());
            }
            err.flush();
        }

        private void clearBar() {
            if (terminal && lastBarLength > 0) {
                err.print("\r" + " ".repeat(lastBarLength) + "\r");
                lastBarLength = 0;
            }
        }

        synchronized void finish() {
            if (terminal && lastBarLength > 0) {
                err.println();
                lastBarLength = 0;
            }
        }
    }
}

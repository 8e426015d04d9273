package studio.pixart.app;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.job.GenerationService;
import studio.pixart.engine.job.JobEvent;
import studio.pixart.engine.job.JobHandle;
import studio.pixart.engine.job.PosterSpec;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.poster.PosterPipeline;
import studio.pixart.engine.preview.PreviewKind;

/**
 * A scripted engine for the view-model tests (the window test runs the real EngineService): emits
 * the engine's event sequence (queued, loading, text encoded, step + preview per step, finished)
 * on a worker thread, honours cancel between steps, records the requests and can be told to fail.
 * Images are seed-dependent gradients at the requested size, so different seeds differ.
 */
public final class FakeGenerationService implements GenerationService {
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fake-engine");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong ids = new AtomicLong();
    private final long stepMillis;
    /** When set, jobs fail with this message (shared across restarts of the app in a test). */
    private final java.util.concurrent.atomic.AtomicReference<String> failWith;
    public final List<GenerationRequest> requests = new ArrayList<>();

    public FakeGenerationService(long stepMillis) {
        this(stepMillis, new java.util.concurrent.atomic.AtomicReference<>());
    }

    public FakeGenerationService(long stepMillis, java.util.concurrent.atomic.AtomicReference<String> failWith) {
        this.stepMillis = stepMillis;
        this.failWith = failWith;
    }

    public void failWith(String message) {
        failWith.set(message);
    }

    @Override
    public synchronized JobHandle submit(GenerationRequest request, Consumer<JobEvent> listener) {
        return start(request, listener, (id, cancel) -> run(id, request, listener, cancel));
    }

    private interface Work {
        JobEvent run(long id, AtomicBoolean cancel);
    }

    private JobHandle start(GenerationRequest request, Consumer<JobEvent> listener, Work work) {
        requests.add(request);
        long id = ids.incrementAndGet();
        AtomicBoolean cancel = new AtomicBoolean();
        CompletableFuture<JobEvent> done = new CompletableFuture<>();
        var state = new java.util.concurrent.atomic.AtomicReference<>(JobHandle.State.QUEUED);
        listener.accept(new JobEvent.Queued(id, 0));
        worker.execute(() -> {
            state.set(JobHandle.State.RUNNING);
            JobEvent end = work.run(id, cancel);
            state.set(end instanceof JobEvent.Finished ? JobHandle.State.FINISHED
                    : end instanceof JobEvent.Failed ? JobHandle.State.FAILED : JobHandle.State.CANCELLED);
            listener.accept(end);
            done.complete(end);
        });
        return new JobHandle() {
            public long id() {
                return id;
            }

            public State state() {
                return state.get();
            }

            public void cancel() {
                cancel.set(true);
            }

            public CompletableFuture<JobEvent> done() {
                return done;
            }
        };
    }

    /**
     * A poster: its stages as the engine reports them (base steps, a slow upscale of
     * {@link #UPSCALE_TICKS} ticks, refinement steps, one decode tile), a small image at the
     * poster's aspect, nothing written.
     */
    @Override
    public synchronized JobHandle submitPoster(GenerationRequest request, PosterSpec spec, Consumer<JobEvent> listener) {
        return start(request, listener, (id, cancel) -> poster(id, request, spec, listener, cancel));
    }

    static final int UPSCALE_TICKS = 60;

    private JobEvent poster(long id, GenerationRequest r, PosterSpec spec, Consumer<JobEvent> listener, AtomicBoolean cancel) {
        long t0 = System.nanoTime();
        for (int s = 1; s <= r.steps(); s++) {
            if (cancel.get()) {
                return new JobEvent.Cancelled(id, s - 1);
            }
            sleep(stepMillis);
            listener.accept(new JobEvent.Stage(id, PosterPipeline.Stage.BASE, s, r.steps()));
        }
        listener.accept(new JobEvent.Stage(id, PosterPipeline.Stage.UPSCALE, 0, 1));
        for (int t = 0; t < UPSCALE_TICKS; t++) {
            if (cancel.get()) {
                return new JobEvent.Cancelled(id, r.steps());
            }
            sleep(stepMillis);
        }
        listener.accept(new JobEvent.Stage(id, PosterPipeline.Stage.UPSCALE, 1, 1));
        for (int s = 1; s <= r.steps(); s++) {
            if (cancel.get()) {
                return new JobEvent.Cancelled(id, r.steps() + s - 1);
            }
            sleep(stepMillis);
            listener.accept(new JobEvent.Stage(id, PosterPipeline.Stage.REFINE, s, r.steps()));
        }
        listener.accept(new JobEvent.Stage(id, PosterPipeline.Stage.DECODE, 1, 1));
        int w = 32;
        int h = Math.max(8, (int) Math.round(32.0 * spec.height() / spec.width()));
        Map<String, Duration> timings = new LinkedHashMap<>();
        timings.put("total", Duration.ofNanos(System.nanoTime() - t0));
        return new JobEvent.Finished(id, List.of(picture(w, h, r.seed(), 1.0)), List.of(Map.of("seed", r.seed())), timings);
    }

    private JobEvent run(long id, GenerationRequest r, Consumer<JobEvent> listener, AtomicBoolean cancel) {
        long t0 = System.nanoTime();
        listener.accept(new JobEvent.LoadingModel(id, "transformer", 1.0));
        if (failWith.get() != null) {
            return new JobEvent.Failed(id, failWith.get(), "Try a smaller size or fewer images.");
        }
        listener.accept(new JobEvent.TextEncoded(id, 9, 300, false, false));
        int w = Math.max(8, r.width());
        int h = Math.max(8, r.height());
        for (int s = 1; s <= r.steps(); s++) {
            if (cancel.get()) {
                return new JobEvent.Cancelled(id, s - 1);
            }
            sleep(stepMillis);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
            listener.accept(new JobEvent.Step(id, s, r.steps(), 1000.0 * (r.steps() - s) / r.steps(), elapsed,
                    elapsed.dividedBy(s).multipliedBy(r.steps() - s)));
            if (r.preview() != GenerationRequest.PreviewMode.NONE) {
                listener.accept(new JobEvent.Preview(id, s, r.steps(), PreviewKind.FAST, 0,
                        picture(w, h, r.seed(), s / (double) r.steps())));
            }
        }
        if (cancel.get()) {
            return new JobEvent.Cancelled(id, r.steps());
        }
        listener.accept(new JobEvent.Decoding(id, 1, 1));
        List<RgbImage> images = new ArrayList<>();
        List<Map<String, Object>> meta = new ArrayList<>();
        for (int i = 0; i < r.numImages(); i++) {
            images.add(picture(w, h, r.seed() + i, 1.0));
            meta.add(Map.of("seed", r.seed() + i));
        }
        Map<String, Duration> timings = new LinkedHashMap<>();
        timings.put("denoise", Duration.ofNanos(System.nanoTime() - t0));
        timings.put("total", Duration.ofNanos(System.nanoTime() - t0));
        return new JobEvent.Finished(id, images, meta, timings);
    }

    /** A seed-coloured sunset-like gradient; {@code clarity} < 1 adds noise like an early preview. */
    static RgbImage picture(int w, int h, long seed, double clarity) {
        java.util.Random rnd = new java.util.Random(seed);
        float hue = rnd.nextFloat();
        float[] px = new float[w * h * 3];
        java.util.Random noise = new java.util.Random(seed * 31 + 7);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double fy = y / (double) Math.max(1, h - 1);
                double fx = x / (double) Math.max(1, w - 1);
                double sun = Math.exp(-((fx - 0.65) * (fx - 0.65) + (fy - 0.4) * (fy - 0.4)) * 18);
                java.awt.Color c = java.awt.Color.getHSBColor((float) (hue + 0.15 * fy), 0.6f, (float) (0.35 + 0.5 * (1 - fy)));
                double[] rgb = {c.getRed() / 255.0, c.getGreen() / 255.0, c.getBlue() / 255.0};
                for (int k = 0; k < 3; k++) {
                    double v = rgb[k] * (1 - sun) + sun * (k == 2 ? 0.7 : 1.0);
                    v = clarity * v + (1 - clarity) * noise.nextDouble();
                    px[(y * w + x) * 3 + k] = (float) Math.max(0, Math.min(1, v));
                }
            }
        }
        return new RgbImage(w, h, px);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}

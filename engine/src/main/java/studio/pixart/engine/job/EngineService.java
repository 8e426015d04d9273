package studio.pixart.engine.job;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.io.SafetensorsException;
import studio.pixart.engine.lora.LoraMerger;
import studio.pixart.engine.lora.LoraSpec;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.EmbeddingCache;
import studio.pixart.engine.pipeline.GenerationMetadata;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.PipelineOptions;
import studio.pixart.engine.pipeline.PixArtPipeline;
import studio.pixart.engine.plan.ExecutionPlan;
import studio.pixart.engine.plan.InsufficientMemoryException;
import studio.pixart.engine.plan.Plans;
import studio.pixart.engine.transformer.TransformerOptions;
import studio.pixart.engine.poster.PosterPipeline;
import studio.pixart.engine.preview.PreviewRenderer;
import studio.pixart.engine.scheduler.Schedulers;

/**
 * The engine's job runner: one worker thread owns the loaded pipeline and every tensor; jobs run
 * in submission order; the pipeline stays loaded while jobs use the same model and options.
 * Events go through one delivery thread: ordinary events in order, previews through a
 * latest-wins slot per job, so a slow listener gets the newest preview and never a backlog, and
 * the denoising loop never waits for it.
 */
public final class EngineService implements GenerationService {
    private static final AtomicLong IDS = new AtomicLong();

    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final BlockingQueue<Runnable> deliveries = new LinkedBlockingQueue<>();
    private final Thread worker;
    private final Thread delivery;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Jobs submitted and not yet ended (queued + running): the next job's queue position. */
    private final AtomicInteger active = new AtomicInteger();
    private final EmbeddingCache embeddingCache;
    private final ModelLocator locator;
    private volatile Job current;
    private PixArtPipeline loaded;
    private String loadedKey;
    /** The LoRA set last checked against the model's files (worker thread only). */
    private List<LoraSpec> lorasChecked = List.of();

    public EngineService() {
        this(new EmbeddingCache(EmbeddingCache.defaultDir()), new ModelLocator());
    }

    public EngineService(EmbeddingCache cache, ModelLocator locator) {
        this.embeddingCache = cache;
        this.locator = locator;
        worker = new Thread(this::workLoop, "pixart-engine-worker");
        worker.setDaemon(true);
        delivery = new Thread(this::deliveryLoop, "pixart-engine-events");
        delivery.setDaemon(true);
        worker.start();
        delivery.start();
    }

    /** What a job does with the loaded pipeline, on the worker thread; returns its Finished event. */
    private interface Work {
        JobEvent.Finished run(PixArtPipeline pipe, Job job) throws IOException;
    }

    private final class Job implements JobHandle {
        final long id = IDS.incrementAndGet();
        final GenerationRequest request;
        /** Null for a generation. */
        final PosterSpec poster;
        final Work work;
        final Consumer<JobEvent> listener;
        final CompletableFuture<JobEvent> done = new CompletableFuture<>();
        final AtomicBoolean cancelRequested = new AtomicBoolean();
        final AtomicBoolean ended = new AtomicBoolean();
        /** Written by the worker, read by the delivery thread: the newest preview not yet taken. */
        final AtomicReference<JobEvent.Preview> previewSlot = new AtomicReference<>();
        volatile State state = State.QUEUED;
        /** Steps the worker has completed (written by the worker after each step). */
        volatile int stepsDone;
        /** {@link #stepsDone} at the moment cancel() was first called; -1 = never cancelled. */
        volatile int stepsAtCancel = -1;
        // Delivery thread only: the last Step delivered and a preview waiting for its Step event.
        private int deliveredStep;
        private JobEvent.Preview held;

        Job(GenerationRequest request, PosterSpec poster, Work work, Consumer<JobEvent> listener) {
            this.request = request;
            this.poster = poster;
            this.work = work;
            this.listener = listener;
        }

        @Override
        public long id() {
            return id;
        }

        @Override
        public State state() {
            return state;
        }

        @Override
        public void cancel() {
            if (cancelRequested.compareAndSet(false, true)) {
                stepsAtCancel = stepsDone;
            }
            if (queue.remove(this)) {
                finish(new JobEvent.Cancelled(id, 0), State.CANCELLED);
            }
        }

        @Override
        public CompletableFuture<JobEvent> done() {
            return done;
        }

        boolean stopRequested() {
            return cancelRequested.get() || closed.get();
        }

        void emit(JobEvent e) {
            deliveries.add(() -> {
                deliver(e);
                if (e instanceof JobEvent.Step s) {
                    deliveredStep = s.step();
                    deliverPreviewIfDue();
                }
            });
        }

        /**
         * Latest-wins: the worker only swaps the slot (never waits); a delivery task is queued only
         * when the slot was empty, so however slow the listener, at most one preview per job waits.
         */
        void emitPreview(JobEvent.Preview p) {
            if (previewSlot.getAndSet(p) == null) {
                deliveries.add(this::deliverPreviewIfDue);
            }
        }

        /** A preview is never delivered before the Step event of its step (events stay in order). */
        private void deliverPreviewIfDue() {
            JobEvent.Preview newest = previewSlot.getAndSet(null);
            if (newest != null) {
                held = newest;
            }
            if (held != null && held.step() <= deliveredStep) {
                JobEvent.Preview p = held;
                held = null;
                deliver(p);
            }
        }

        private void deliver(JobEvent e) {
            try {
                listener.accept(e);
            } catch (RuntimeException ex) {
                // A faulty listener must not stop the delivery of other jobs' events.
            }
        }

        void finish(JobEvent terminal, State s) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            state = s;
            active.decrementAndGet();
            emit(terminal);
            deliveries.add(() -> done.complete(terminal));
        }
    }

    @Override
    public JobHandle submit(GenerationRequest request, Consumer<JobEvent> listener) {
        return enqueue(new Job(request, null, this::generate, listener == null ? e -> { } : listener));
    }

    @Override
    public JobHandle submitPoster(GenerationRequest request, PosterSpec spec, Consumer<JobEvent> listener) {
        return enqueue(new Job(request, spec, (pipe, job) -> poster(pipe, job, spec), listener == null ? e -> { } : listener));
    }

    private JobHandle enqueue(Job job) {
        synchronized (this) {
            if (closed.get()) {
                throw new IllegalStateException("the engine is closed");
            }
            // position = jobs ahead of this one (the running one included)
            job.emit(new JobEvent.Queued(job.id, active.getAndIncrement()));
            queue.add(job);
        }
        return job;
    }

    private void workLoop() {
        Torch.prepareThread();
        try {
            while (!closed.get()) {
                Job job = queue.poll(200, TimeUnit.MILLISECONDS);
                if (job == null) {
                    continue;
                }
                current = job;
                try {
                    run(job);
                } finally {
                    current = null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            unload();
        }
    }

    private void unload() {
        if (loaded != null) {
            loaded.close();
            loaded = null;
            loadedKey = null;
        }
    }

    /** Loads (or reuses) the job's pipeline, runs its work and turns every way it can end into one terminal event. */
    private void run(Job job) {
        if (job.stopRequested()) {
            job.finish(new JobEvent.Cancelled(job.id, 0), JobHandle.State.CANCELLED);
            return;
        }
        job.state = JobHandle.State.RUNNING;
        try {
            job.finish(job.work.run(pipelineFor(job), job), JobHandle.State.FINISHED);
        } catch (CancellationException e) {
            job.finish(new JobEvent.Cancelled(job.id, job.stepsDone), JobHandle.State.CANCELLED);
        } catch (IOException e) {
            job.finish(new JobEvent.Failed(job.id, String.valueOf(e.getMessage()),
                    "Choose a destination folder that exists (or can be created) and is writable, and check the free disk space."),
                    JobHandle.State.FAILED);
        } catch (OutOfMemoryError e) {
            unload();
            job.finish(new JobEvent.Failed(job.id, "out of memory", adviceForMemory()), JobHandle.State.FAILED);
        } catch (RuntimeException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (msg.toLowerCase().contains("out of memory")) {
                unload();
                job.finish(new JobEvent.Failed(job.id, msg, adviceForMemory()), JobHandle.State.FAILED);
            } else {
                job.finish(new JobEvent.Failed(job.id, e instanceof InsufficientMemoryException m ? m.refusal() : msg,
                        adviceFor(e)), JobHandle.State.FAILED);
            }
        } catch (Error e) {
            // Any other error (a native library problem, a stack overflow) still ends the job, so
            // nobody waits forever on its future; the worker lives on for the next job.
            job.finish(new JobEvent.Failed(job.id, e.toString(),
                    "This looks like a bug or a broken installation; the message above says where it happened."),
                    JobHandle.State.FAILED);
        }
    }

    /**
     * The pipeline for the job's model and plan: the loaded one while they stay the same. The job
     * is planned first ({@link Plans}) and refused, before anything is loaded, when it cannot fit.
     */
    private PixArtPipeline pipelineFor(Job job) {
        GenerationRequest req = job.request;
        PipelineFolder folder = PipelineFolder.open(req.model(), null, locator);
        // before loading anything: a step count the sampler cannot run (a repeated timestep) is refused
        Schedulers.checkStepCount(req.sampler(), folder.config("scheduler"), req.steps());
        if (!req.loras().equals(lorasChecked)) {
            LoraMerger.checkBeforeLoading(req.loras(), folder.component("transformer"));
            lorasChecked = req.loras();
        }
        // and a job the machine cannot hold, with the numbers and the advice
        ExecutionPlan plan = job.poster == null ? Plans.forGeneration(folder, req)
                : Plans.forPoster(folder, req, job.poster.width(), job.poster.height(), job.poster.strength(),
                        job.poster.nativeOnePass());
        plan.requireFits();
        TransformerOptions.KvCompression kv = PipelineOptions.kvCompressionFor(req);
        String key = folder.root() + "|" + PipelineOptions.of(plan, kv, embeddingCache).withTextEncoderInt8(Plans.int8(req)).key();
        if (!key.equals(loadedKey)) {
            unload();
            job.emit(new JobEvent.Notice(job.id, "plan: " + plan.summary() + " — " + plan.machine().gpu().message()));
            plan.notes().forEach(n -> job.emit(new JobEvent.Notice(job.id, n)));
            job.emit(new JobEvent.LoadingModel(job.id, "model", 0));
            loaded = Plans.load(folder, plan, req, kv, embeddingCache,
                    (component, progress) -> job.emit(new JobEvent.LoadingModel(job.id, component, progress)),
                    n -> job.emit(new JobEvent.Notice(job.id, n)));
            loadedKey = key;
        }
        return loaded;
    }

    /** A generation job: the denoising loop with step events and previews. */
    private JobEvent.Finished generate(PixArtPipeline pipe, Job job) {
        PreviewRenderer previews = new PreviewRenderer(pipe, job.request.preview());
        // Elapsed and ETA count the denoising loop only: the clock starts when the text is
        // encoded (T5 time varies with caches and would distort the per-step rate).
        long[] loopStart = {System.nanoTime()};
        PixArtPipeline.Result result = pipe.generate(job.request, new PixArtPipeline.Listener() {
            @Override
            public void onTextEncoded(int tokens, int limit, boolean truncated) {
                job.emit(new JobEvent.TextEncoded(job.id, tokens, limit, truncated, false));
                loopStart[0] = System.nanoTime();
                previews.startLoop();
            }

            @Override
            public void onStep(PixArtPipeline.StepState s) {
                emitStep(job, s, loopStart[0], previews);
            }

            @Override
            public void onDecoding(int done, int total) {
                job.emit(new JobEvent.Decoding(job.id, done, total));
            }

            @Override
            public void onNotice(String message) {
                job.emit(new JobEvent.Notice(job.id, message));
            }
        }, job::stopRequested);
        Map<String, Duration> timings = durations(result.timingsMillis());
        timings.put("previews", Duration.ofMillis(previews.totalMillis()));
        return new JobEvent.Finished(job.id, result.images(), result.metadata(), timings);
    }

    /**
     * A poster job: {@link PosterPipeline} (base, upscale, refine, decode) with a Stage event per
     * step or tile, Step events and fast previews during each denoising loop, then the file
     * written atomically when {@code spec.out()} is set. Cancelling stops at the next step or tile.
     */
    private JobEvent.Finished poster(PixArtPipeline pipe, Job job, PosterSpec spec) throws IOException {
        GenerationRequest req = job.request;
        PosterPipeline.Plan plan = PosterPipeline.plan(pipe.folder(), spec.width(), spec.height(), spec.strength(),
                spec.nativeOnePass(), req.kvCompression(), pipe.transformer().config().patchSize());
        // Fast previews only: full VAE previews of a 4K latent would cost more than the steps.
        PreviewRenderer previews = new PreviewRenderer(pipe, req.preview() == GenerationRequest.PreviewMode.NONE
                ? GenerationRequest.PreviewMode.NONE : GenerationRequest.PreviewMode.FAST);
        long[] loopStart = {System.nanoTime()};
        PosterPipeline.Result r = PosterPipeline.run(pipe, req, plan, new PosterPipeline.Listener() {
            @Override
            public void stage(PosterPipeline.Stage stage, int done, int total) {
                if (stage == PosterPipeline.Stage.UPSCALE) {
                    loopStart[0] = System.nanoTime(); // the refinement's ETA counts the refinement only
                }
                job.emit(new JobEvent.Stage(job.id, stage, done, total));
            }

            @Override
            public void onStep(PosterPipeline.Stage stage, PixArtPipeline.StepState s) {
                emitStep(job, s, loopStart[0], previews);
            }
        }, job::stopRequested);
        Map<String, Duration> timings = durations(r.timingsMillis());
        if (spec.out() != null) {
            long t = System.nanoTime();
            try {
                ImageExport.write(r.image(), spec.out(), GenerationMetadata.parametersText(r.metadata()),
                        Json.write(r.metadata()), spec.export());
            } catch (IOException e) {
                throw new IOException("could not write the poster to " + spec.out() + ": " + e.getMessage(), e);
            }
            timings.put("export", Duration.ofNanos(System.nanoTime() - t));
        }
        return new JobEvent.Finished(job.id, List.of(r.image()), List.of(r.metadata()), timings);
    }

    /** One denoising step: its Step event (elapsed and ETA from {@code loopStart}) and its previews. */
    private static void emitStep(Job job, PixArtPipeline.StepState s, long loopStart, PreviewRenderer previews) {
        int step = s.index() + 1;
        job.stepsDone = step;
        long spent = System.nanoTime() - loopStart;
        // Image to image starts part-way through the schedule: the rate is over the steps run.
        int ran = step - s.firstIndex();
        job.emit(new JobEvent.Step(job.id, step, s.total(), s.timestep(), Duration.ofNanos(spent),
                Duration.ofNanos(spent / ran * (s.total() - step))));
        previews.render(s, job::stopRequested, p -> job.emitPreview(
                new JobEvent.Preview(job.id, step, s.total(), p.kind(), p.imageIndex(), p.image())));
    }

    private static Map<String, Duration> durations(Map<String, Long> millis) {
        Map<String, Duration> out = new LinkedHashMap<>();
        millis.forEach((k, v) -> out.put(k, Duration.ofMillis(v)));
        return out;
    }

    static String adviceForMemory() {
        return "Try a smaller size or fewer images, close other programs, or on a GPU use float16.";
    }

    static String adviceFor(RuntimeException e) {
        if (e instanceof InsufficientMemoryException m) {
            return m.advice();
        }
        if (e instanceof SafetensorsException) {
            return "A weight file is damaged or incomplete: download the model again.";
        }
        if (e instanceof ConfigException) {
            return "Check the model folder or id (see the README, 'Getting a model').";
        }
        if (e instanceof studio.pixart.engine.pipeline.NonFiniteCheck.NonFiniteException) {
            return "The model produced NaN/Inf: run `pixart inspect --deep MODEL` to find the broken weights or config values.";
        }
        if (e instanceof IllegalArgumentException) {
            return "Change the setting named in the message and try again.";
        }
        return "This looks like a bug; the message above says where it happened.";
    }

    private void deliveryLoop() {
        try {
            while (worker.isAlive() || !deliveries.isEmpty()) {
                Runnable r = deliveries.poll(200, TimeUnit.MILLISECONDS);
                if (r != null) {
                    r.run();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** For tests: steps the worker had completed when {@code handle} was first cancelled (-1 if never). */
    static int stepsAtCancel(JobHandle handle) {
        return ((Job) handle).stepsAtCancel;
    }

    /** Jobs waiting (not counting the running one). */
    public int queued() {
        return queue.size();
    }

    @Override
    public void close() {
        List<Job> pending = new ArrayList<>();
        synchronized (this) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            queue.drainTo(pending);
        }
        for (Job j : pending) {
            j.cancelRequested.set(true);
            j.finish(new JobEvent.Cancelled(j.id, 0), JobHandle.State.CANCELLED);
        }
        Job running = current;
        if (running != null) {
            running.cancel();
        }
        try {
            worker.join(60_000);
            delivery.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

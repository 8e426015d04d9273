package studio.pixart.app;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import studio.pixart.engine.job.GenerationService;
import studio.pixart.engine.job.JobEvent;
import studio.pixart.engine.job.JobHandle;
import studio.pixart.engine.pipeline.GenerationRequest;

/** Creates the engine's generation service for the studio. */
final class EngineBridge {
    private EngineBridge() {}

    /**
     * The engine's {@code studio.pixart.engine.job.EngineService} when this build has it (looked up
     * by name so the studio builds before the engine's pipeline is complete), else a service that
     * fails every job with a clear message.
     */
    static GenerationService defaultService() {
        try {
            Class<?> c = Class.forName("studio.pixart.engine.job.EngineService");
            return (GenerationService) c.getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return new Unavailable(e.toString());
        }
    }

    /** Fails each job at once; the studio stays usable for prompts, history and export. */
    static final class Unavailable implements GenerationService {
        private final String why;
        private final AtomicLong ids = new AtomicLong();

        Unavailable(String why) {
            this.why = why;
        }

        @Override
        public JobHandle submit(GenerationRequest request, Consumer<JobEvent> listener) {
            long id = ids.incrementAndGet();
            JobEvent failed = new JobEvent.Failed(id, "the generation engine is not available in this build (" + why + ")",
                    "Install a complete PixArt Studio build; see README, 'Set up'.");
            CompletableFuture<JobEvent> done = CompletableFuture.completedFuture(failed);
            Thread t = new Thread(() -> listener.accept(failed), "pixart-unavailable");
            t.setDaemon(true);
            t.start();
            return new JobHandle() {
                public long id() {
                    return id;
                }

                public State state() {
                    return State.FAILED;
                }

                public void cancel() {}

                public CompletableFuture<JobEvent> done() {
                    return done;
                }
            };
        }

        @Override
        public void close() {}
    }
}

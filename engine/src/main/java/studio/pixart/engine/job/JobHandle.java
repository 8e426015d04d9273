package studio.pixart.engine.job;

import java.util.concurrent.CompletableFuture;

/** A submitted job: its state, a cancel switch, and a future completed with its terminal event. */
public interface JobHandle {
    enum State { QUEUED, RUNNING, FINISHED, FAILED, CANCELLED }

    long id();

    State state();

    /** Takes effect within one denoising step (or between VAE tiles); harmless after the end. */
    void cancel();

    /** Completes with the job's Finished, Failed or Cancelled event. */
    CompletableFuture<JobEvent> done();
}

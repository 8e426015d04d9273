package studio.pixart.engine.job;

import java.util.function.Consumer;
import studio.pixart.engine.pipeline.GenerationRequest;

/**
 * Runs generation jobs one after another on a single engine worker thread that owns every native
 * tensor. Events reach the listener on a separate delivery thread, in order; previews are
 * latest-wins, so a slow listener never slows the denoising loop and never sees a backlog.
 */
public interface GenerationService extends AutoCloseable {
    JobHandle submit(GenerationRequest request, Consumer<JobEvent> listener);

    /**
     * A poster or wallpaper at {@code spec}'s exact size from {@code request}'s prompt, seed, steps,
     * guidance and sampler (its size is ignored): Stage events per stage, Step events and fast
     * previews while denoising; Finished carries the one image, already written when {@code spec.out()} is set.
     */
    JobHandle submitPoster(GenerationRequest request, PosterSpec spec, Consumer<JobEvent> listener);

    /** Cancels the running job and every queued one, then stops the worker. */
    @Override
    void close();
}

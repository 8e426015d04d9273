package studio.pixart.engine.job;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.poster.PosterPipeline;
import studio.pixart.engine.preview.PreviewKind;

/** What a generation job reports, in order; every event is immutable and holds no native memory. */
public sealed interface JobEvent {
    long jobId();

    record Queued(long jobId, int position) implements JobEvent {}

    /** {@code progress} in [0, 1] over all components of the model being loaded. */
    record LoadingModel(long jobId, String component, double progress) implements JobEvent {}

    record TextEncoded(long jobId, int tokens, int limit, boolean truncated, boolean fromCache) implements JobEvent {}

    record Step(long jobId, int step, int total, double timestep, Duration elapsed, Duration eta) implements JobEvent {}

    /** The estimate of the final image (x0 prediction) after {@code step}; previews are latest-wins. */
    record Preview(long jobId, int step, int total, PreviewKind kind, int imageIndex, RgbImage image) implements JobEvent {}

    /**
     * Progress of a multi-stage job (a poster: base, upscale, refine, decode); {@code done/total}
     * are steps or tiles of that stage. Denoising steps are also reported as {@link Step}.
     */
    record Stage(long jobId, PosterPipeline.Stage stage, int done, int total) implements JobEvent {}

    record Decoding(long jobId, int tile, int tiles) implements JobEvent {}

    /**
     * Something to tell the user that is not an error: the plan (device, precision, memory) when a
     * model is loaded, why the GPU is not used, a float16 VAE that fell back to float32.
     */
    record Notice(long jobId, String message) implements JobEvent {}

    /** Images in prompt-major order, with the metadata to embed into exported files. */
    record Finished(long jobId, List<RgbImage> images, List<Map<String, Object>> metadata,
                    Map<String, Duration> timings) implements JobEvent {}

    record Failed(long jobId, String message, String advice) implements JobEvent {}

    record Cancelled(long jobId, int atStep) implements JobEvent {}

    default boolean isTerminal() {
        return this instanceof Finished || this instanceof Failed || this instanceof Cancelled;
    }
}

package studio.pixart.engine.scheduler;

/**
 * Standard-normal noise for the stochastic schedulers (LCM, SA-Solver, SDE-DPM-Solver++).
 * The pipeline implements it with the seeded torch CPU generator so that draws continue the same
 * stream as diffusers' {@code randn_tensor(shape, generator=generator)} with one generator or a
 * list of them, one per image (the pipeline's {@code BatchNoise}); one call is one such draw of the
 * whole (flattened, row-major) latent batch.
 */
@FunctionalInterface
public interface NoiseSource {
    float[] standardNormal(int length);

    /** For deterministic schedulers: fails if a draw is ever requested. */
    NoiseSource NONE = length -> {
        throw new IllegalStateException("this scheduler needs noise but no NoiseSource was given");
    };
}

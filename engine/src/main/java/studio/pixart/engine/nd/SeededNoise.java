package studio.pixart.engine.nd;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Standard-normal noise from libtorch's CPU generator, reproducing
 * {@code torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))}: the same seed
 * gives the same numbers as a diffusers user gets. The generator is process-global, so a stream is
 * seeded and drawn on the engine worker thread only; later draws continue the same stream.
 */
public final class SeededNoise {
    private SeededNoise() {}

    /** Re-seeds the generator; following {@link #next} calls continue its stream. */
    public static void seed(long seed) {
        Torch.seed(seed);
    }

    public static float[] next(long... shape) {
        try (NDManager m = Torch.newManager()) {
            return m.randomNormal(new Shape(shape)).toFloatArray();
        }
    }

    public static float[] randn(long seed, long... shape) {
        seed(seed);
        return next(shape);
    }
}

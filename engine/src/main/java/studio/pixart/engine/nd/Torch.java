package studio.pixart.engine.nd;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Starts DJL's PyTorch engine offline (the natives come from the bundled jar; nothing is ever
 * downloaded) and prepares worker threads (no autograd); seeds libtorch's CPU generator.
 */
public final class Torch {
    private static volatile Engine engine;

    private Torch() {}

    public static synchronized Engine engine() {
        if (engine == null) {
            if (System.getProperty("ai.djl.offline") == null) {
                System.setProperty("ai.djl.offline", "true");
            }
            // libtorch keeps its default intra-op thread pool (one thread per core); nothing is set here.
            engine = Engine.getEngine("PyTorch");
        }
        return engine;
    }

    /** Call at the start of every thread that runs tensor code: gradient mode is per thread. */
    public static void prepareThread() {
        engine();
        JniUtils.setGradMode(false);
    }

    /**
     * A manager on the CPU, whatever the engine's default device: host-side arrays (inputs built
     * from Java arrays, then moved with {@code toDevice}) and, above all, draws from the seeded CPU
     * generator. DJL's default device is the GPU wherever one is visible, and a draw there would
     * come from the CUDA generator: other numbers than the reference's for the same seed.
     */
    public static NDManager newManager() {
        return engine().newBaseManager(Device.cpu());
    }

    /** Seeds libtorch's process-global CPU generator with the full 64-bit seed, as torch.manual_seed. */
    public static void seed(long seed) {
        engine();
        JniUtils.setSeed(seed);
    }

    /**
     * An array holding a copy of {@code data} in memory libtorch owns. {@code manager.create(float[])}
     * wraps a direct buffer that only the created NDArray keeps alive; views of it (split, slices,
     * reshapes) do not, so a view kept after that array is closed reads freed memory once the GC
     * has run (the poster's NaN under load, issue 14). Use this for any array whose views may
     * outlive it, e.g. one returned to a caller.
     */
    public static NDArray owned(NDManager manager, float[] data, Shape shape) {
        try (NDArray wrapped = manager.create(data, shape)) {
            return wrapped.duplicate();
        }
    }

    public static String version() {
        return engine().getVersion();
    }
}

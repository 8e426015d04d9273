package studio.pixart.engine.nd;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
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

    public static String version() {
        return engine().getVersion();
    }
}

package studio.pixart.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.pytorch.engine.PtNDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;
import studio.pixart.engine.Golden;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.SeededNoise;
import studio.pixart.engine.nd.Torch;

/**
 * On a machine with a GPU, DJL's default device is the GPU: every manager made without a device
 * (and every sub-manager of one) puts its tensors there. This test makes the GPU the default here
 * too, as DJL does there, and runs CPU work that must not notice: the seeded noise must still come
 * from the CPU generator (on the GPU it would be the CUDA generator's other numbers, and images
 * would no longer match the reference for a seed), and a CPU pipeline must still give the
 * reference image. Without a GPU, any tensor that lands on the default device fails at once.
 */
class GpuDefaultDeviceTest {

    /** Runs {@code body} with DJL's default device (engine and system manager) set to {@code gpu(0)}. */
    static void withGpuAsDefault(Runnable body) throws Exception {
        Torch.prepareThread();
        Engine engine = Torch.engine();
        Field engineDefault = Engine.class.getDeclaredField("defaultDevice");
        engineDefault.setAccessible(true);
        Field managerDevice = BaseNDManager.class.getDeclaredField("device");
        managerDevice.setAccessible(true);
        java.lang.reflect.Method systemManager = PtNDManager.class.getDeclaredMethod("getSystemManager");
        systemManager.setAccessible(true);
        Object system = systemManager.invoke(null);
        Object oldEngine = engineDefault.get(engine);
        Object oldManager = managerDevice.get(system);
        engineDefault.set(engine, Device.gpu());
        managerDevice.set(system, Device.gpu());
        try {
            body.run();
        } finally {
            engineDefault.set(engine, oldEngine);
            managerDevice.set(system, oldManager);
        }
    }

    @Test
    void seededNoiseComesFromTheCpuGenerator() throws Exception {
        withGpuAsDefault(() -> {
            assertTrue(Torch.engine().defaultDevice().isGpu(), "the default device is the GPU for this test");
            try (Golden g = Golden.load("noise/torch_randn")) {
                JsonNode entry = g.params().get("entries").get(0);
                JsonNode s = entry.get("shapes").get(0);
                long[] shape = new long[s.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = s.get(i).asLong();
                }
                String name = entry.get("tensors").get(0).asText();
                Golden.assertCloseAbsolute(name, g.floats(name), SeededNoise.randn(entry.get("seed").asLong(), shape), 1e-6);
            }
        });
    }

    @Test
    void aCpuPipelineGivesTheReferenceImage() throws Exception {
        withGpuAsDefault(() -> {
            try (Golden g = Golden.load("pipeline/pipe_fox_16x16_cfg4.5_4steps")) {
                GenerationRequest req = PipelineGoldenTest.requestFor(g);
                PipelineFolder folder = PipelineFolder.open(Golden.model(req.model()).toString());
                try (PixArtPipeline pipe = PixArtPipeline.load(folder, PipelineOptions.cpu(), null)) {
                    PixArtPipeline.Result r = pipe.generate(req, null, () -> false);
                    float[] image = PipelineGoldenTest.concat(r.images().stream().map(i -> i.samples()).toList());
                    Golden.assertCloseAbsolute("image", g.floats("image"), image, 1e-4);
                }
            }
        });
    }
}

package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.vm.ModelPlanModel;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.plan.ExecutionPlan;
import studio.pixart.engine.plan.GpuStatus;
import studio.pixart.engine.plan.JobSpec;
import studio.pixart.engine.plan.MachineInfo;
import studio.pixart.engine.plan.ModelSpec;
import studio.pixart.engine.plan.Planner;

/** The model panel's plan line, without a Stage: real plans of the tiny model on fixed machines. */
class ModelPlanModelTest {
    static final long GIB = 1L << 30;
    static final String TINY = Path.of("..", "engine", "src", "test", "resources", "golden", "tiny-pixart-sigma")
            .toAbsolutePath().normalize().toString();

    static ExecutionPlan planOn(String spec, MachineInfo machine) {
        PipelineFolder f = PipelineFolder.open(spec);
        ModelSpec m = ModelSpec.of(f);
        GenerationRequest req = GenerationRequest.of(spec, "x").withBinning(false);
        return Planner.plan(m, JobSpec.generation(m, req, 300), machine, Planner.Overrides.auto());
    }

    static ModelInfo info(String spec) {
        return ModelInfo.of(PipelineFolder.open(spec));
    }

    @Test
    void showsDevicePrecisionAndMemoryOfTheOpenModel() {
        MachineInfo cpu = MachineInfo.cpuOnly(24 * GIB, 16 * GIB, 2, 6 * GIB);
        List<Runnable> io = new ArrayList<>();
        ModelPlanModel m = new ModelPlanModel(spec -> planOn(spec, cpu), io::add, Runnable::run);
        m.update(info(TINY));
        assertEquals("Planning\u2026", m.summary().get());
        io.remove(0).run();
        assertTrue(m.summary().get().startsWith("CPU float32 \u00b7 ~") && m.summary().get().endsWith("memory balanced"),
                m.summary().get());
        assertTrue(m.details().get().contains("transformer   cpu float32"), m.details().get());
        assertTrue(m.details().get().contains("no GPU"), m.details().get());
        assertFalse(m.usesGpu().get());
    }

    @Test
    void aGpuMachineShowsTheGpuAndAStaleResultIsDropped() {
        MachineInfo gpu = MachineInfo.cpuOnly(24 * GIB, 16 * GIB, 2, 6 * GIB)
                .withGpu(24 * GIB, 20 * GIB, new GpuStatus(GpuStatus.Kind.GPU, "using NVIDIA GPU 0"));
        List<Runnable> io = new ArrayList<>();
        ModelPlanModel m = new ModelPlanModel(spec -> planOn(spec, gpu), io::add, Runnable::run);
        m.update(info(TINY));
        m.update(null); // the model was closed before the plan came back
        io.remove(0).run();
        assertEquals("", m.summary().get());
        m.update(info(TINY));
        io.remove(0).run();
        assertTrue(m.summary().get().startsWith("GPU float16"), m.summary().get());
        assertTrue(m.details().get().contains("using NVIDIA GPU 0"));
        assertTrue(m.usesGpu().get());
    }

    @Test
    void aPlannerErrorIsShownNotThrown() {
        List<Runnable> io = new ArrayList<>();
        ModelPlanModel m = new ModelPlanModel(spec -> {
            throw new IllegalStateException("weights unreadable");
        }, io::add, Runnable::run);
        m.update(new ModelInfo("x", Path.of("x"), "X", "PixArt-Σ", 300, 1024, 128, 16, false, Map.of(), List.of(), null));
        io.remove(0).run();
        assertEquals("No plan", m.summary().get());
        assertEquals("weights unreadable", m.details().get());
    }
}

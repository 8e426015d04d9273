package studio.pixart.engine.plan;

import java.util.Locale;
import java.util.function.Consumer;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.pipeline.EmbeddingCache;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.PipelineOptions;
import studio.pixart.engine.pipeline.PixArtPipeline;
import studio.pixart.engine.poster.PosterPipeline;
import studio.pixart.engine.transformer.TransformerOptions;

/**
 * The plain Java API of the planner: the plan of a generation, a poster or a model's default job
 * on this machine, and loading a pipeline as planned (falling back to the CPU, and saying so, when
 * the GPU runs out of memory while the model loads). The studio's model panel shows
 * {@link #forModel}'s {@link ExecutionPlan#summary()}.
 */
public final class Plans {
    private Plans() {}

    /** The plan of a text-to-image request on this machine (not yet checked: see {@link ExecutionPlan#requireFits()}). */
    public static ExecutionPlan forGeneration(PipelineFolder folder, GenerationRequest req) {
        ModelSpec m = ModelSpec.of(folder);
        return Planner.plan(m, JobSpec.generation(m, req, folder.variant().defaultMaxSequenceLength), MachineInfo.detect(),
                overrides(req));
    }

    /** The plan of a poster of {@code width × height}: its refinement at the work size is the largest pass. */
    public static ExecutionPlan forPoster(PipelineFolder folder, GenerationRequest req, int width, int height, double strength,
                                          boolean nativeOnePass) {
        ModelSpec m = ModelSpec.of(folder);
        PosterPipeline.Plan poster = PosterPipeline.plan(folder, width, height, strength, nativeOnePass, req.kvCompression(),
                m.transformer().patchSize());
        return Planner.plan(m, JobSpec.poster(req, poster, folder.variant().defaultMaxSequenceLength), MachineInfo.detect(),
                overrides(req));
    }

    /** The model's default job (one image at its native size, CFG, full prompt length), for the model panel. */
    public static ExecutionPlan forModel(PipelineFolder folder, String device, String dtype, String memory) {
        return forGeneration(folder, GenerationRequest.of(folder.spec(), "model panel").withSize(0, 0)
                .withDevice(device, dtype).withMemory(memory));
    }

    static Planner.Overrides overrides(GenerationRequest req) {
        return new Planner.Overrides(req.device(), req.dtype(), req.memory());
    }

    /**
     * Loads the pipeline as {@code plan} says. When a GPU load runs out of memory and the device
     * was automatic, the GPU is given up for the rest of the process ({@link MachineInfo#gpuFailed})
     * and the job is planned and loaded on the CPU; {@code notices} hears why.
     */
    public static PixArtPipeline load(PipelineFolder folder, ExecutionPlan plan, GenerationRequest req,
                                      TransformerOptions.KvCompression kv, EmbeddingCache cache,
                                      PixArtPipeline.LoadListener listener, Consumer<String> notices) {
        try {
            return PixArtPipeline.load(folder, PipelineOptions.of(plan, kv, cache), listener);
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            boolean auto = req.device() == null || req.device().equalsIgnoreCase("auto");
            if (!plan.usesGpu() || !auto || !msg.contains("out of memory")) {
                throw e;
            }
            MachineInfo.gpuFailed(e.getMessage());
            ExecutionPlan cpu = Planner.plan(plan.model(), plan.job(), MachineInfo.detect(), overrides(req)).requireFits();
            notices.accept(MachineInfo.gpuStatus().message());
            return PixArtPipeline.load(folder, PipelineOptions.of(cpu, kv, cache), listener);
        }
    }
}

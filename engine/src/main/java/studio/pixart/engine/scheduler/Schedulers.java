package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import studio.pixart.engine.io.ConfigException;

/**
 * Creates schedulers by short name or diffusers class name. Swapping a sampler into a pipeline is
 * {@code Schedulers.create("ddim", pipelineSchedulerConfig)}, the same as diffusers'
 * {@code DDIMScheduler.from_config(pipe.scheduler.config)}.
 */
public final class Schedulers {
    /** Short names accepted by {@link #create}. */
    public static final List<String> NAMES = List.of("dpm", "ddim", "euler", "lcm", "sa");

    private Schedulers() {}

    /**
     * {@code dpm} → DPMSolverMultistepScheduler, {@code ddim} → DDIMScheduler, {@code euler} →
     * EulerDiscreteScheduler, {@code lcm} → LCMScheduler, {@code sa} → SASolverScheduler built with
     * {@code algorithm_type="data_prediction"} (SA-Solver rejects the PixArt config's
     * {@code dpmsolver++}). The base config's {@code _class_name} is ignored.
     */
    public static Scheduler create(String name, JsonNode baseConfig) {
        switch (name == null ? "" : name.toLowerCase()) {
            case "dpm":
                return ofClass(DpmSolverMultistepScheduler.CLASS_NAME, baseConfig);
            case "ddim":
                return ofClass(DdimScheduler.CLASS_NAME, baseConfig);
            case "euler":
                return ofClass(EulerDiscreteScheduler.CLASS_NAME, baseConfig);
            case "lcm":
                return ofClass(LcmScheduler.CLASS_NAME, baseConfig);
            case "sa": {
                if (baseConfig == null || !baseConfig.isObject()) {
                    throw new ConfigException("scheduler config must be a JSON object");
                }
                ObjectNode c = ((ObjectNode) baseConfig).deepCopy();
                c.put("algorithm_type", "data_prediction");
                return ofClass(SaSolverScheduler.CLASS_NAME, c);
            }
            default:
                throw new IllegalArgumentException("unknown scheduler \"" + name + "\"; choose one of " + NAMES);
        }
    }

    /** Builds the class named by the config's {@code _class_name}. */
    public static Scheduler fromConfig(JsonNode config) {
        if (config == null || !config.isObject()) {
            throw new ConfigException("scheduler config must be a JSON object");
        }
        JsonNode cls = config.get("_class_name");
        if (cls == null || !cls.isTextual()) {
            throw new ConfigException("scheduler config has no \"_class_name\"");
        }
        return ofClass(cls.asText(), config);
    }

    /** Builds a scheduler of the given diffusers class from any scheduler config. */
    public static Scheduler ofClass(String className, JsonNode config) {
        switch (className) {
            case DpmSolverMultistepScheduler.CLASS_NAME:
                return new DpmSolverMultistepScheduler(config);
            case DdimScheduler.CLASS_NAME:
                return new DdimScheduler(config);
            case EulerDiscreteScheduler.CLASS_NAME:
                return new EulerDiscreteScheduler(config);
            case LcmScheduler.CLASS_NAME:
                return new LcmScheduler(config);
            case SaSolverScheduler.CLASS_NAME:
                return new SaSolverScheduler(config);
            default:
                throw new ConfigException("scheduler class \"" + className + "\" is not supported (supported: "
                        + String.join(", ", DpmSolverMultistepScheduler.CLASS_NAME, DdimScheduler.CLASS_NAME,
                                EulerDiscreteScheduler.CLASS_NAME, LcmScheduler.CLASS_NAME,
                                SaSolverScheduler.CLASS_NAME) + ")");
        }
    }
}

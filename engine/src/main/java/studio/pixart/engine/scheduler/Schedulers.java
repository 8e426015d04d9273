package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import studio.pixart.engine.io.ConfigException;

/**
 * Creates schedulers by sampler name or diffusers class name. Swapping a sampler into a pipeline
 * is {@code Schedulers.create("dpm-karras", pipelineSchedulerConfig)}, the same as diffusers'
 * {@code DPMSolverMultistepScheduler.from_config(pipe.scheduler.config, use_karras_sigmas=True)}.
 */
public final class Schedulers {

    /**
     * A sampler as users pick it: the short (command-line) name, the name other apps show, and
     * the diffusers class with the config overrides that make it.
     */
    public record Sampler(String name, String displayName, String className, Map<String, Object> overrides) {
        /** "DPMSolverMultistepScheduler(use_karras_sigmas=True)". */
        public String diffusersCall() {
            StringBuilder sb = new StringBuilder(className).append('(');
            overrides.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '(' ? "" : ", ").append(k).append('=')
                    .append(v instanceof Boolean b ? (b ? "True" : "False") : v instanceof String s ? "\"" + s + "\"" : v));
            return sb.append(')').toString();
        }
    }

    /** Every sampler, in the order menus list them. */
    public static final List<Sampler> SAMPLERS = List.of(
            new Sampler("dpm", "DPM++ 2M", DpmSolverMultistepScheduler.CLASS_NAME, Map.of()),
            new Sampler("dpm-karras", "DPM++ 2M Karras", DpmSolverMultistepScheduler.CLASS_NAME,
                    Map.of("use_karras_sigmas", true)),
            new Sampler("dpm-sde", "DPM++ 2M SDE", DpmSolverMultistepScheduler.CLASS_NAME,
                    Map.of("algorithm_type", "sde-dpmsolver++")),
            new Sampler("dpm-sde-karras", "DPM++ 2M SDE Karras", DpmSolverMultistepScheduler.CLASS_NAME,
                    orderedMap("algorithm_type", "sde-dpmsolver++", "use_karras_sigmas", true)),
            new Sampler("dpm3", "DPM++ 3M", DpmSolverMultistepScheduler.CLASS_NAME, Map.of("solver_order", 3)),
            new Sampler("euler", "Euler", EulerDiscreteScheduler.CLASS_NAME, Map.of()),
            new Sampler("euler-karras", "Euler Karras", EulerDiscreteScheduler.CLASS_NAME,
                    Map.of("use_karras_sigmas", true)),
            new Sampler("euler-a", "Euler a", EulerAncestralDiscreteScheduler.CLASS_NAME, Map.of()),
            new Sampler("unipc", "UniPC", UniPcMultistepScheduler.CLASS_NAME, Map.of()),
            new Sampler("unipc-karras", "UniPC Karras", UniPcMultistepScheduler.CLASS_NAME,
                    Map.of("use_karras_sigmas", true)),
            new Sampler("ddim", "DDIM", DdimScheduler.CLASS_NAME, Map.of()),
            new Sampler("lcm", "LCM", LcmScheduler.CLASS_NAME, Map.of()),
            // SA-Solver rejects the PixArt config's "dpmsolver++"
            new Sampler("sa", "SA-Solver", SaSolverScheduler.CLASS_NAME, Map.of("algorithm_type", "data_prediction")));

    /** Short names accepted by {@link #create}, in menu order. */
    public static final List<String> NAMES = SAMPLERS.stream().map(Sampler::name).toList();

    private Schedulers() {}

    private static Map<String, Object> orderedMap(String k1, Object v1, String k2, Object v2) {
        java.util.LinkedHashMap<String, Object> m = new java.util.LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The sampler of that short name (case-insensitive). */
    public static Sampler sampler(String name) {
        String k = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Sampler s : SAMPLERS) {
            if (s.name.equals(k)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown sampler \"" + name + "\"; choose one of " + String.join(", ", NAMES));
    }

    /** The name other apps show ("DPM++ 2M Karras") for a short name; the input itself if unknown. */
    public static String displayName(String name) {
        for (Sampler s : SAMPLERS) {
            if (s.name.equalsIgnoreCase(name)) {
                return s.displayName;
            }
        }
        return name;
    }

    /**
     * The scheduler of the named sampler built from a pipeline's scheduler config with the
     * sampler's overrides; the base config's {@code _class_name} is ignored.
     */
    public static Scheduler create(String name, JsonNode baseConfig) {
        Sampler s = sampler(name);
        if (baseConfig == null || !baseConfig.isObject()) {
            throw new ConfigException("scheduler config must be a JSON object");
        }
        ObjectNode c = ((ObjectNode) baseConfig).deepCopy();
        s.overrides.forEach((k, v) -> c.set(k, studio.pixart.engine.io.Json.MAPPER.valueToTree(v)));
        return ofClass(s.className, c);
    }

    /**
     * Refuses, before any work, a step count whose timestep table repeats a timestep: diffusers
     * runs such a table (DPM-Solver++ at 1000 steps repeats t = 500, and its sigma too, so the
     * multistep solver divides by the zero step between the twins and ends in NaN; Karras tables
     * repeat t = 0 and 1 from 79 steps, running the model twice at one timestep). The message names
     * the largest step count below the requested one that gives a table without repeats.
     *
     * @throws IllegalArgumentException naming the sampler, the count, the repeated timestep and the advice
     */
    public static void checkStepCount(String name, JsonNode baseConfig, int steps) {
        Scheduler s = create(name, baseConfig);
        s.setTimesteps(steps);
        double repeated = firstRepeat(s.timesteps());
        if (Double.isNaN(repeated)) {
            return;
        }
        int ok = steps - 1;
        while (ok >= 1) {
            s.setTimesteps(ok);
            if (Double.isNaN(firstRepeat(s.timesteps()))) {
                break;
            }
            ok--;
        }
        String t = repeated == Math.rint(repeated) ? Long.toString((long) repeated) : Double.toString(repeated);
        throw new IllegalArgumentException(steps + " steps with the " + name + " sampler (" + displayName(name)
                + ") give a timestep table that repeats t=" + t + ": two steps at the same timestep are not a valid "
                + "schedule (where the noise levels repeat too, the reference divides by their zero gap and ends in "
                + "NaN); the largest step count below " + steps + " without a repeated timestep is " + ok
                + " (use --steps " + ok + " or another sampler)");
    }

    /** The first value that occurs twice, or NaN when all are distinct. */
    static double firstRepeat(double[] timesteps) {
        double[] sorted = timesteps.clone();
        Arrays.sort(sorted);
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] == sorted[i - 1]) {
                return sorted[i];
            }
        }
        return Double.NaN;
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
            case EulerAncestralDiscreteScheduler.CLASS_NAME:
                return new EulerAncestralDiscreteScheduler(config);
            case UniPcMultistepScheduler.CLASS_NAME:
                return new UniPcMultistepScheduler(config);
            case LcmScheduler.CLASS_NAME:
                return new LcmScheduler(config);
            case SaSolverScheduler.CLASS_NAME:
                return new SaSolverScheduler(config);
            default:
                throw new ConfigException("scheduler class \"" + className + "\" is not supported (supported: "
                        + String.join(", ", DpmSolverMultistepScheduler.CLASS_NAME, DdimScheduler.CLASS_NAME,
                                EulerDiscreteScheduler.CLASS_NAME, EulerAncestralDiscreteScheduler.CLASS_NAME,
                                UniPcMultistepScheduler.CLASS_NAME, LcmScheduler.CLASS_NAME,
                                SaSolverScheduler.CLASS_NAME) + ")");
        }
    }
}

package studio.pixart.engine.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import studio.pixart.engine.io.Checkpoint;
import studio.pixart.engine.io.TensorDType;

/** What {@code inspect} and the studio's model panel show: per component class, size, dtypes, problems. */
public record ModelInspection(String spec, Path root, String pipelineClass, String variant, int defaultSize,
                              int maxSequenceLength, List<Component> components, List<String> problems) {

    public record Component(String name, String className, Path path, long parameters,
                            Map<String, Long> parametersByDtype, long bytesOnDisk) {}

    /** Configs, tokenizer and safetensors headers only (quick: the studio's model panel). */
    public static ModelInspection of(PipelineFolder f) {
        return of(f, false, false);
    }

    /**
     * @param loadWeights also load every component on the CPU as the pipeline does (shapes, missing
     *                    and extra tensors; float32/float16 files are mapped, not copied)
     * @param deep        also scan every weight for NaN/Inf ({@link ModelCheck#nonFiniteWeights})
     */
    public static ModelInspection of(PipelineFolder f, boolean loadWeights, boolean deep) {
        List<Component> comps = new ArrayList<>();
        List<String> problems = new ArrayList<>(f.problems());
        for (String name : PipelineFolder.COMPONENTS) {
            if (!f.has(name)) {
                continue;
            }
            Path p = f.component(name);
            String cls = "";
            try {
                cls = switch (name) {
                    case "tokenizer" -> "T5Tokenizer (spiece.model)";
                    default -> f.config(name).path("_class_name").asText(name.equals("text_encoder")
                            ? f.config(name).path("architectures").path(0).asText("") : "");
                };
            } catch (RuntimeException e) {
                problems.add(e.getMessage());
            }
            long params = 0;
            long bytes = 0;
            Map<String, Long> byDtype = new LinkedHashMap<>();
            if (!name.equals("tokenizer") && !name.equals("scheduler")) {
                try (Checkpoint ck = Checkpoint.open(p)) {
                    params = ck.parameterCount();
                    bytes = ck.bytesOnDisk();
                    for (Map.Entry<TensorDType, Long> e : ck.parameterCountByDtype().entrySet()) {
                        byDtype.put(e.getKey().name(), e.getValue());
                    }
                } catch (RuntimeException e) {
                    problems.add(name + ": " + e.getMessage());
                }
            } else {
                try (var s = java.nio.file.Files.list(p)) {
                    bytes = s.mapToLong(x -> x.toFile().length()).sum();
                } catch (java.io.IOException e) {
                    problems.add(name + ": " + e.getMessage());
                }
            }
            comps.add(new Component(name, cls, p, params, byDtype, bytes));
        }
        for (String p : ModelCheck.configProblems(f)) {
            if (!problems.contains(p)) {
                problems.add(p);
            }
        }
        if (loadWeights) {
            for (String p : ModelCheck.weightProblems(f)) {
                if (!problems.contains(p)) {
                    problems.add(p);
                }
            }
        }
        if (deep) {
            problems.addAll(ModelCheck.nonFiniteWeights(f));
        }
        String variant = "";
        int size = 0;
        int msl = 0;
        try {
            variant = f.variant().label + (f.isLcm() ? " (LCM)" : "");
            msl = f.variant().defaultMaxSequenceLength;
            size = f.has("vae") && f.has("transformer") ? f.defaultImageSize() : 0;
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
        }
        return new ModelInspection(f.spec(), f.root(), f.pipelineClass(), variant, size, msl, comps, problems);
    }

    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("model     ").append(spec).append('\n');
        sb.append("folder    ").append(root).append('\n');
        sb.append("pipeline  ").append(pipelineClass.isEmpty() ? "(no model_index.json)" : pipelineClass).append('\n');
        sb.append("variant   ").append(variant).append(", default ").append(defaultSize).append("x").append(defaultSize)
                .append(" px, ").append(maxSequenceLength).append(" tokens\n");
        sb.append(String.format("%-13s %-32s %15s %12s  %s%n", "component", "class", "parameters", "on disk", "dtypes"));
        for (Component c : components) {
            sb.append(String.format("%-13s %-32s %,15d %12s  %s%n", c.name, c.className, c.parameters,
                    humanBytes(c.bytesOnDisk), c.parametersByDtype.keySet()));
        }
        if (problems.isEmpty()) {
            sb.append("problems  none\n");
        } else {
            sb.append("problems\n");
            problems.forEach(p -> sb.append("  - ").append(p).append('\n'));
        }
        return sb.toString();
    }

    /** Binary units, one decimal below 100 ("12.3 MiB", "512 MiB"), independent of the locale. */
    public static String humanBytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int i = -1;
        while (v >= 1024 && i < u.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(java.util.Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, u[i]);
    }
}

package studio.pixart.app.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import studio.pixart.engine.model.ModelInspection;
import studio.pixart.engine.model.PipelineFolder;

/**
 * What the studio shows and needs about an opened pipeline, read once off the UI thread: plain
 * values only, so views and view-models never touch the file system.
 *
 * @param sampleSize   the transformer's sample_size (picks the resolution-binning table)
 * @param sizeMultiple VAE factor × patch size: generated sides must be multiples of it
 * @param components   component name → "12.3 MiB · float16" (size on disk and dtypes of its weights)
 * @param tokenizerDir the tokenizer/ folder when it has spiece.model, else null
 */
public record ModelInfo(String spec, Path root, String label, String variant, int maxSequenceLength,
                        int nativeSize, int sampleSize, int sizeMultiple, boolean lcm, Map<String, String> components,
                        List<String> problems, Path tokenizerDir) {

    public ModelInfo {
        components = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(components));
        problems = List.copyOf(problems);
    }

    public boolean usable() {
        return problems.isEmpty();
    }

    /**
     * Opens a folder or hub id. A folder that is neither a pipeline (model_index.json) nor a
     * transformer folder is refused with that reason instead of being listed as five missing parts.
     */
    public static ModelInfo open(String spec) {
        PipelineFolder folder = PipelineFolder.open(spec);
        if (!Files.isRegularFile(folder.root().resolve("model_index.json")) && !folder.has("transformer")) {
            throw new IllegalArgumentException("not a pipeline folder: no model_index.json in " + folder.root());
        }
        return of(folder);
    }

    /** The engine's inspection (components, dtypes, bytes, problems) plus what the form needs. */
    public static ModelInfo of(PipelineFolder folder) {
        ModelInspection inspection = ModelInspection.of(folder);
        Map<String, String> comps = new LinkedHashMap<>();
        for (ModelInspection.Component c : inspection.components()) {
            comps.put(c.name(), describe(c));
        }
        boolean hasTransformer = folder.has("transformer") && Files.isRegularFile(folder.component("transformer").resolve("config.json"));
        boolean hasVae = folder.has("vae") && Files.isRegularFile(folder.component("vae").resolve("config.json"));
        int sample = hasTransformer ? folder.transformerSampleSize() : 128;
        int vaeFactor = hasVae ? folder.vaeScaleFactor() : 8;
        int patch = hasTransformer ? folder.transformerConfig().path("patch_size").asInt(2) : 2;
        int nativeSize = hasTransformer && hasVae ? folder.defaultImageSize() : sample * 8;
        PipelineFolder.Variant v = hasTransformer ? folder.variant() : PipelineFolder.Variant.SIGMA;
        String label = hasTransformer && hasVae ? folder.label() : v.label;
        return new ModelInfo(folder.spec(), folder.root(), label, v.label, v.defaultMaxSequenceLength, nativeSize, sample,
                vaeFactor * patch, hasTransformer && folder.has("scheduler") && folder.isLcm(), comps, inspection.problems(),
                folder.has("tokenizer") && Files.isRegularFile(folder.component("tokenizer").resolve("spiece.model"))
                        ? folder.component("tokenizer") : null);
    }

    /** "12.3 MiB · float16" (the dtypes holding most parameters first), "config only" when no weights. */
    static String describe(ModelInspection.Component c) {
        if (c.bytesOnDisk() == 0) {
            return "config only";
        }
        List<String> dtypes = c.parametersByDtype().entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> dtypeName(e.getKey())).toList();
        return ModelInspection.humanBytes(c.bytesOnDisk()) + (dtypes.isEmpty() ? "" : " · " + String.join(" + ", dtypes));
    }

    /** safetensors dtype codes in the names people know (F16 → float16). */
    static String dtypeName(String code) {
        return switch (code.toUpperCase(java.util.Locale.ROOT)) {
            case "F32" -> "float32";
            case "F16" -> "float16";
            case "BF16" -> "bfloat16";
            case "F64" -> "float64";
            default -> code.toLowerCase(java.util.Locale.ROOT);
        };
    }
}

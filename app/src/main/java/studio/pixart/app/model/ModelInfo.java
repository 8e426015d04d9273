package studio.pixart.app.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import studio.pixart.engine.io.SafetensorsFile;
import studio.pixart.engine.io.TensorInfo;
import studio.pixart.engine.model.PipelineFolder;

/**
 * What the studio shows and needs about an opened pipeline, read once off the UI thread: plain
 * values only, so views and view-models never touch the file system.
 *
 * @param components   component name → "12.3 MB · float16" (size on disk and dtype of its weights)
 * @param tokenizerDir the tokenizer/ folder when it has spiece.model, else null
 */
public record ModelInfo(String spec, Path root, String label, String variant, int maxSequenceLength,
                        int nativeSize, int sampleSize, boolean lcm, Map<String, String> components,
                        List<String> problems, Path tokenizerDir) {

    public ModelInfo {
        components = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(components));
        problems = List.copyOf(problems);
    }

    public boolean usable() {
        return problems.isEmpty();
    }

    public static ModelInfo of(PipelineFolder folder) {
        Map<String, String> comps = new LinkedHashMap<>();
        for (String c : PipelineFolder.COMPONENTS) {
            if (folder.has(c)) {
                comps.put(c, describe(folder.component(c)));
            }
        }
        boolean hasTransformer = folder.has("transformer") && Files.isRegularFile(folder.component("transformer").resolve("config.json"));
        boolean hasVae = folder.has("vae") && Files.isRegularFile(folder.component("vae").resolve("config.json"));
        int sample = hasTransformer ? folder.transformerSampleSize() : 128;
        int nativeSize = hasTransformer && hasVae ? folder.defaultImageSize() : sample * 8;
        PipelineFolder.Variant v = hasTransformer ? folder.variant() : PipelineFolder.Variant.SIGMA;
        String label = hasTransformer && hasVae ? folder.label() : v.label;
        return new ModelInfo(folder.spec(), folder.root(), label, v.label, v.defaultMaxSequenceLength, nativeSize, sample,
                hasTransformer && folder.has("scheduler") && folder.isLcm(), comps, folder.problems(),
                folder.has("tokenizer") && Files.isRegularFile(folder.component("tokenizer").resolve("spiece.model"))
                        ? folder.component("tokenizer") : null);
    }

    /** Size on disk of the component's weights and the dtype of its first tensor. */
    static String describe(Path dir) {
        long bytes = 0;
        String dtype = "";
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                String n = p.getFileName().toString();
                if (n.endsWith(".safetensors")) {
                    bytes += Files.size(p);
                    if (dtype.isEmpty()) {
                        try (SafetensorsFile f = SafetensorsFile.open(p)) {
                            dtype = f.tensors().values().stream().findFirst().map(TensorInfo::dtype)
                                    .map(d -> dtypeName(d.toString())).orElse("");
                        } catch (RuntimeException e) {
                            dtype = "unreadable";
                        }
                    }
                } else if (n.equals("spiece.model")) {
                    bytes += Files.size(p);
                }
            }
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
        if (bytes == 0) {
            return "config only";
        }
        return humanBytes(bytes) + (dtype.isEmpty() ? "" : " · " + dtype);
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

    public static String humanBytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
    }
}

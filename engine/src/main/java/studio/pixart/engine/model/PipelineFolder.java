package studio.pixart.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.Json;

/**
 * A diffusers-format PixArt pipeline on disk: {@code model_index.json} plus the component folders
 * {@code transformer/}, {@code text_encoder/}, {@code tokenizer/}, {@code vae/}, {@code scheduler/}.
 * Components missing from the folder (a transformer-only repo such as PixArt-Sigma-XL-2-2K-MS) are
 * taken from a base pipeline that has them. Tells PixArt-Σ from PixArt-α and lists every problem
 * found with a specific message.
 */
public final class PipelineFolder {
    public enum Variant {
        SIGMA("PixArt-Σ", 300), ALPHA("PixArt-α", 120);

        public final String label;
        public final int defaultMaxSequenceLength;

        Variant(String label, int defaultMaxSequenceLength) {
            this.label = label;
            this.defaultMaxSequenceLength = defaultMaxSequenceLength;
        }
    }

    public static final List<String> COMPONENTS = List.of("transformer", "text_encoder", "tokenizer", "vae", "scheduler");
    /** The usual companion of transformer-only PixArt-Σ repos (T5 + SDXL VAE + scheduler). */
    public static final String DEFAULT_SIGMA_BASE = "PixArt-alpha/pixart_sigma_sdxlvae_T5_diffusers";

    private final String spec;
    private final Path root;
    private final JsonNode modelIndex;
    private final Map<String, Path> components;
    private final List<String> problems;

    private PipelineFolder(String spec, Path root, JsonNode modelIndex, Map<String, Path> components, List<String> problems) {
        this.spec = spec;
        this.root = root;
        this.modelIndex = modelIndex;
        this.components = components;
        this.problems = problems;
    }

    public static PipelineFolder open(String spec) {
        return open(spec, null, new ModelLocator());
    }

    /**
     * @param baseSpec where missing components come from (null: the folder alone, or the default
     *                 PixArt-Σ base when it is in the hub cache)
     */
    public static PipelineFolder open(String spec, String baseSpec, ModelLocator locator) {
        Path root = locator.locate(spec);
        Map<String, Path> comps = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        JsonNode index = null;
        Path indexFile = root.resolve("model_index.json");
        if (Files.isRegularFile(indexFile)) {
            index = Json.read(indexFile);
        } else if (isTransformerFolder(root)) {
            comps.put("transformer", root);
        }
        for (String c : COMPONENTS) {
            if (!comps.containsKey(c) && Files.isDirectory(root.resolve(c))) {
                comps.put(c, root.resolve(c));
            }
        }
        List<String> missing = COMPONENTS.stream().filter(c -> !comps.containsKey(c)).toList();
        if (!missing.isEmpty()) {
            Path base = null;
            if (baseSpec != null) {
                base = locator.locate(baseSpec);
            } else if (comps.containsKey("transformer")) {
                try {
                    base = locator.locate(DEFAULT_SIGMA_BASE);
                } catch (ConfigException e) {
                    base = null;
                }
            }
            for (String c : missing) {
                if (base != null && Files.isDirectory(base.resolve(c))) {
                    comps.put(c, base.resolve(c));
                } else {
                    problems.add("missing component '" + c + "/'" + (base == null && comps.containsKey("transformer")
                            ? " (a transformer-only model needs a base pipeline for it, e.g. " + DEFAULT_SIGMA_BASE + ")" : ""));
                }
            }
        }
        PipelineFolder f = new PipelineFolder(spec, root, index, comps, problems);
        f.validate();
        return f;
    }

    private static boolean isTransformerFolder(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            return false;
        }
        String cls = Json.read(cfg).path("_class_name").asText("");
        return cls.equals("PixArtTransformer2DModel") || cls.equals("Transformer2DModel");
    }

    private void validate() {
        for (Map.Entry<String, Path> e : components.entrySet()) {
            Path dir = e.getValue();
            switch (e.getKey()) {
                case "tokenizer" -> {
                    if (!Files.isRegularFile(dir.resolve("spiece.model"))) {
                        problems.add("tokenizer/spiece.model is missing in " + dir);
                    }
                }
                case "scheduler" -> {
                    if (!Files.isRegularFile(dir.resolve("scheduler_config.json"))) {
                        problems.add("scheduler/scheduler_config.json is missing in " + dir);
                    }
                }
                default -> {
                    if (!Files.isRegularFile(dir.resolve("config.json"))) {
                        problems.add(e.getKey() + "/config.json is missing in " + dir);
                    } else if (!hasWeights(dir)) {
                        problems.add(e.getKey() + "/ has no .safetensors weights in " + dir
                                + " (only safetensors checkpoints are supported)");
                    }
                }
            }
        }
        if (components.containsKey("transformer") && Files.isRegularFile(components.get("transformer").resolve("config.json"))) {
            JsonNode t = transformerConfig();
            String norm = t.path("norm_type").asText("");
            if (!norm.equals("ada_norm_single")) {
                problems.add("transformer/config.json: norm_type '" + norm + "' is not a PixArt transformer (expected ada_norm_single)");
            }
        }
    }

    private static boolean hasWeights(Path dir) {
        try (var s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors")
                    || p.getFileName().toString().endsWith(".safetensors.index.json"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Throws one error listing every problem when the pipeline cannot run. */
    public PipelineFolder requireComplete() {
        if (!problems.isEmpty()) {
            throw new ConfigException("model '" + spec + "' (" + root + ") cannot be used:\n  - "
                    + String.join("\n  - ", problems));
        }
        return this;
    }

    public String spec() {
        return spec;
    }

    public Path root() {
        return root;
    }

    public List<String> problems() {
        return List.copyOf(problems);
    }

    public boolean has(String component) {
        return components.containsKey(component);
    }

    public Path component(String name) {
        Path p = components.get(name);
        if (p == null) {
            throw new ConfigException("model '" + spec + "' has no " + name + "/ component");
        }
        return p;
    }

    public Map<String, Path> components() {
        return Map.copyOf(components);
    }

    public JsonNode config(String component) {
        String file = component.equals("scheduler") ? "scheduler_config.json" : "config.json";
        return Json.read(component(component).resolve(file));
    }

    public JsonNode transformerConfig() {
        return config("transformer");
    }

    public String pipelineClass() {
        return modelIndex == null ? "" : modelIndex.path("_class_name").asText("");
    }

    public Variant variant() {
        String cls = pipelineClass();
        if (cls.contains("Alpha")) {
            return Variant.ALPHA;
        }
        if (cls.contains("Sigma")) {
            return Variant.SIGMA;
        }
        // No model index: PixArt-α is the SD-VAE (0.18215) family with size conditioning.
        if (has("vae")) {
            double sf = config("vae").path("scaling_factor").asDouble(0.13025);
            if (Math.abs(sf - 0.18215) < 1e-6) {
                return Variant.ALPHA;
            }
        }
        return Variant.SIGMA;
    }

    /** PixArt-δ / LCM checkpoints ship an LCM scheduler. */
    public boolean isLcm() {
        return has("scheduler") && config("scheduler").path("_class_name").asText("").startsWith("LCM");
    }

    public int transformerSampleSize() {
        return transformerConfig().path("sample_size").asInt(128);
    }

    public int vaeScaleFactor() {
        JsonNode blocks = config("vae").path("block_out_channels");
        return 1 << Math.max(0, blocks.size() - 1);
    }

    /** Default image side: sample_size x vae_scale_factor (1024 for the real 1024 models). */
    public int defaultImageSize() {
        return transformerSampleSize() * vaeScaleFactor();
    }

    public String label() {
        return variant().label + (isLcm() ? " (LCM)" : "") + " " + defaultImageSize() + "px";
    }
}

package studio.pixart.engine.pipeline;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import studio.pixart.engine.lora.LoraMerger;
import studio.pixart.engine.model.PipelineFolder;

/**
 * The settings that produced an image, embedded into exported files: a JSON object with every
 * setting and a one-paragraph {@code parameters} text in the form other image tools read.
 */
public final class GenerationMetadata {
    public static final String ENGINE_VERSION = version();

    private GenerationMetadata() {}

    private static String version() {
        String v = GenerationMetadata.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    public static Map<String, Object> describe(GenerationRequest req, PipelineFolder folder, int promptIndex,
                                               int imageIndex, int width, int height, int genW, int genH,
                                               int maxLength, int steps, int tokens, boolean truncated) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt", req.prompts().get(promptIndex));
        m.put("negative_prompt", req.negativeFor(promptIndex));
        // The seed that makes this image alone (per-image seeds), or the batch's one seed.
        m.put("seed", req.seedFor(promptIndex * req.numImages() + imageIndex));
        m.put("seed_mode", req.seedMode() == GenerationRequest.SeedMode.PER_IMAGE ? "per-image" : "batch");
        m.put("image_index", imageIndex);
        m.put("num_images", req.numImages());
        m.put("steps", steps);
        m.put("guidance", req.guidance());
        m.put("sampler", req.sampler());
        m.put("width", width);
        m.put("height", height);
        m.put("generated_width", genW);
        m.put("generated_height", genH);
        m.put("binning", req.binning());
        m.put("max_sequence_length", maxLength);
        m.put("prompt_tokens", tokens);
        m.put("prompt_truncated", truncated);
        m.put("model", req.model());
        m.put("model_variant", folder.variant().label);
        m.put("device", req.device());
        m.put("dtype", req.dtype());
        m.put("kv_compression", req.kvCompression().name().toLowerCase());
        if (req.imageToImage() != null) {
            m.put("strength", req.imageToImage().strength());
            m.put("inpainting", req.imageToImage().inpainting());
        }
        m.put("engine", "pixart-studio " + ENGINE_VERSION);
        return m;
    }

    /** Records the merged LoRAs (name, file, strength, sha256) under "loras"; nothing when there are none. */
    public static void addLoras(Map<String, Object> m, List<LoraMerger.Applied> loras) {
        if (!loras.isEmpty()) {
            m.put("loras", loras.stream().map(LoraMerger.Applied::toMetadata).toList());
        }
    }

    /** "prompt\nNegative prompt: …\nSteps: 20, Sampler: …, CFG scale: 4.5, Seed: 1, Size: WxH, Model: …". */
    public static String parametersText(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder();
        sb.append(m.get("prompt"));
        Object neg = m.get("negative_prompt");
        if (neg != null && !neg.toString().isEmpty()) {
            sb.append("\nNegative prompt: ").append(neg);
        }
        sb.append("\nSteps: ").append(m.get("steps"))
                .append(", Sampler: ").append(samplerLabel(String.valueOf(m.get("sampler"))))
                .append(", CFG scale: ").append(m.get("guidance"))
                .append(", Seed: ").append(m.get("seed"))
                .append(m.containsKey("strength") ? ", Denoising strength: " + m.get("strength") : "")
                .append(", Size: ").append(m.get("width")).append("x").append(m.get("height"))
                .append(", Model: ").append(m.get("model"))
                .append(", Max sequence length: ").append(m.get("max_sequence_length"))
                .append(", Version: ").append(m.get("engine"));
        if (m.get("loras") instanceof List<?> loras && !loras.isEmpty()) {
            // A1111's "Lora hashes" (name: first 12 hex of sha256), plus the strengths A1111 keeps in the prompt
            StringBuilder hashes = new StringBuilder();
            StringBuilder strengths = new StringBuilder();
            for (Object o : loras) {
                if (o instanceof Map<?, ?> l) {
                    String name = String.valueOf(l.get("name")).replace(",", " ").replace(":", " ").replace("\"", "");
                    String sha = String.valueOf(l.get("sha256"));
                    hashes.append(hashes.length() == 0 ? "" : ", ").append(name).append(": ")
                            .append(sha.length() > 12 ? sha.substring(0, 12) : sha);
                    strengths.append(strengths.length() == 0 ? "" : ", ").append(name).append(": ").append(l.get("strength"));
                }
            }
            sb.append(", Lora hashes: \"").append(hashes).append('"')
                    .append(", Lora strengths: \"").append(strengths).append('"');
        }
        return sb.toString();
    }

    /** The sampler's name in other apps ("DPM++ 2M Karras", "Euler a"), as A1111's "Sampler:" field. */
    public static String samplerLabel(String s) {
        return studio.pixart.engine.scheduler.Schedulers.displayName(s);
    }
}

package studio.pixart.app.settings;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.lora.LoraSpec;
import studio.pixart.engine.pipeline.GenerationMetadata;
import studio.pixart.engine.pipeline.GenerationRequest;

/**
 * Everything the form holds, as one immutable value: what is stored in the history and settings.json,
 * and what exported images carry. Images carry it in the engine's metadata layout
 * ({@link #toMetadata}: the keys of {@code GenerationMetadata.describe} plus the studio's form
 * keys), so a PNG from the command line and one from the studio restore the same way.
 *
 * @param seed        the seed used (history/export) or typed (form); with randomSeed the form draws a new one per job
 * @param aspect      aspect-ratio preset label ("16:9")
 * @param sizeClass   side of the size class in pixels (1024)
 * @param width       requested final width
 * @param height      requested final height
 * @param loras       the LoRA list (disabled entries are kept in the form and history, not sent)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GenerationSettings(String prompt, String negativePrompt, int steps, double guidance, String sampler,
                                 long seed, boolean randomSeed, String aspect, int sizeClass, int width, int height,
                                 int numImages, String device, String dtype, String preview, String model,
                                 List<LoraSetting> loras) {

    public GenerationSettings {
        loras = loras == null ? List.of() : List.copyOf(loras);
    }

    public static GenerationSettings defaults() {
        return new GenerationSettings("", "", 20, 4.5, Sampler.DPM.id, 0, true, "1:1", 1024, 1024, 1024, 1,
                "auto", "auto", GenerationRequest.PreviewMode.FAST.name(), "", List.of());
    }

    public GenerationSettings withSeed(long s, boolean random) {
        return new GenerationSettings(prompt, negativePrompt, steps, guidance, sampler, s, random, aspect, sizeClass,
                width, height, numImages, device, dtype, preview, model, loras);
    }

    public GenerationSettings withNumImages(int n) {
        return new GenerationSettings(prompt, negativePrompt, steps, guidance, sampler, seed, randomSeed, aspect, sizeClass,
                width, height, n, device, dtype, preview, model, loras);
    }

    public GenerationSettings withModel(String m) {
        return new GenerationSettings(prompt, negativePrompt, steps, guidance, sampler, seed, randomSeed, aspect,
                sizeClass, width, height, numImages, device, dtype, preview, m, loras);
    }

    /**
     * The engine request for this form with a concrete seed; {@code binning} as planned for the
     * model (width/height are then the delivered size the engine resizes and crops to). Each image
     * of a batch has its own seed (concreteSeed + k), recorded in its metadata, so any one of them
     * can be made again alone.
     */
    public GenerationRequest toRequest(long concreteSeed, boolean binning) {
        List<String> neg = negativePrompt == null || negativePrompt.isBlank() ? List.of() : List.of(negativePrompt);
        return new GenerationRequest(model, List.of(prompt), neg, concreteSeed, steps, guidance, sampler, width, height,
                0, binning, numImages, device, dtype, GenerationRequest.PreviewMode.valueOf(preview),
                GenerationRequest.KvCompressionMode.OFF, GenerationRequest.SeedMode.PER_IMAGE, null,
                enabledLoras().stream().map(l -> new LoraSpec(Path.of(l.file()), l.strength())).toList(), "auto");
    }

    public GenerationSettings withLoras(List<LoraSetting> l) {
        return new GenerationSettings(prompt, negativePrompt, steps, guidance, sampler, seed, randomSeed, aspect,
                sizeClass, width, height, numImages, device, dtype, preview, model, l);
    }

    /** The LoRAs that take part in a generation: enabled and with a file. */
    public List<LoraSetting> enabledLoras() {
        return loras.stream().filter(l -> l.enabled() && !l.file().isBlank()).toList();
    }

    /**
     * What an exported image carries: these settings in the engine's keys, overlaid with the
     * engine's own description of the image when there is one ({@code engine}: the generated size,
     * token count, engine version...), plus the form keys only the studio uses.
     */
    public Map<String, Object> toMetadata(Map<String, Object> engine) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt", prompt);
        m.put("negative_prompt", negativePrompt);
        m.put("seed", seed);
        m.put("num_images", numImages);
        m.put("steps", steps);
        m.put("guidance", guidance);
        m.put("sampler", sampler);
        m.put("width", width);
        m.put("height", height);
        m.put("max_sequence_length", 0); // 0 = the model's default, as in the engine's request
        m.put("model", model);
        m.put("device", device);
        m.put("dtype", dtype);
        m.put("engine", "pixart-studio " + GenerationMetadata.ENGINE_VERSION);
        if (!enabledLoras().isEmpty()) {
            m.put("loras", enabledLoras().stream().map(LoraSetting::toMetadata).toList());
        }
        if (engine != null) {
            m.putAll(engine);
        }
        m.put("aspect", aspect);
        m.put("size_class", sizeClass);
        m.put("preview", preview);
        return m;
    }

    /** Reads {@link #toMetadata}'s layout, or the engine's alone (a command-line image); gaps get defaults. */
    public static GenerationSettings fromMetadata(JsonNode m) {
        if (m == null || !m.isObject() || !m.has("prompt")) {
            throw new IllegalArgumentException("not PixArt Studio metadata (no prompt)");
        }
        GenerationSettings d = defaults();
        int w = m.path("width").asInt(d.width);
        int h = m.path("height").asInt(d.height);
        return new GenerationSettings(m.path("prompt").asText(""), m.path("negative_prompt").asText(""),
                m.path("steps").asInt(d.steps), m.path("guidance").asDouble(d.guidance), m.path("sampler").asText(d.sampler),
                m.path("seed").asLong(0), false, m.path("aspect").asText(""),
                m.path("size_class").asInt((int) Math.round(Math.sqrt((double) w * h))), w, h,
                m.path("num_images").asInt(1), m.path("device").asText(d.device), m.path("dtype").asText(d.dtype),
                m.path("preview").asText(d.preview), m.path("model").asText(""), lorasOf(m.get("loras"))).normalized();
    }

    /** The engine's "loras" entries (name, file, strength, sha256) as enabled form entries. */
    private static List<LoraSetting> lorasOf(JsonNode arr) {
        List<LoraSetting> out = new ArrayList<>();
        if (arr != null && arr.isArray()) {
            for (JsonNode l : arr) {
                out.add(new LoraSetting(l.path("file").asText(""), l.path("name").asText(""),
                        l.path("strength").asDouble(1.0), true, l.path("sha256").asText("")));
            }
        }
        return out;
    }

    public String toJson() {
        try {
            return Json.MAPPER.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static GenerationSettings fromJson(String json) {
        try {
            GenerationSettings s = Json.MAPPER.readValue(json, GenerationSettings.class);
            return s.normalized();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not PixArt Studio settings: " + e.getOriginalMessage(), e);
        }
    }

    /** Fills what an older or foreign file left out with defaults ("" aspect: the preset closest to the size). */
    GenerationSettings normalized() {
        GenerationSettings d = defaults();
        return new GenerationSettings(prompt == null ? "" : prompt, negativePrompt == null ? "" : negativePrompt,
                steps > 0 ? steps : d.steps, guidance >= 0 ? guidance : d.guidance,
                Sampler.parse(sampler) == null ? d.sampler : Sampler.parse(sampler).id, seed, randomSeed,
                aspect == null ? "" : aspect, sizeClass > 0 ? sizeClass : d.sizeClass,
                width > 0 ? width : d.width, height > 0 ? height : d.height, numImages > 0 ? numImages : 1,
                device == null ? d.device : device, dtype == null ? d.dtype : dtype,
                preview == null ? d.preview : preview, model == null ? "" : model, loras);
    }

    private static final Pattern KV = Pattern.compile("\\s*(\\w[\\w \\-/]+):\\s*(\"(?:\\\\.|[^\\\\\"])+\"|[^,]*)(?:,|$)");

    /**
     * Reads an A1111-style {@code parameters} text (the engine's {@code GenerationMetadata.parametersText},
     * or another tool's); unknown keys are ignored.
     */
    public static GenerationSettings fromParameters(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the image's parameters text is empty");
        }
        List<String> lines = new ArrayList<>(List.of(text.strip().split("\r?\n", -1)));
        Map<String, String> kv = new LinkedHashMap<>();
        String last = lines.get(lines.size() - 1);
        if (lines.size() > 1 || last.contains("Steps: ")) {
            Matcher m = KV.matcher(last);
            int found = 0;
            while (m.find()) {
                String v = m.group(2).strip();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
                }
                kv.put(m.group(1).strip(), v);
                found++;
            }
            if (found >= 2 && kv.containsKey("Steps")) {
                lines.remove(lines.size() - 1);
            } else {
                kv.clear();
            }
        }
        StringBuilder prompt = new StringBuilder();
        StringBuilder negative = new StringBuilder();
        boolean inNegative = false;
        for (String line : lines) {
            if (!inNegative && line.startsWith("Negative prompt:")) {
                inNegative = true;
                line = line.substring("Negative prompt:".length()).strip();
            }
            StringBuilder target = inNegative ? negative : prompt;
            if (target.length() > 0) {
                target.append('\n');
            }
            target.append(line);
        }
        GenerationSettings d = defaults();
        int steps = parseInt(kv.get("Steps"), d.steps);
        double cfg = parseDouble(kv.get("CFG scale"), d.guidance);
        Sampler sampler = Sampler.parse(kv.get("Sampler"), kv.get("Schedule type"));
        long seed = kv.containsKey("Seed") ? parseLong(kv.get("Seed"), 0) : 0;
        int w = d.width;
        int h = d.height;
        String size = kv.get("Size");
        if (size != null && size.matches("\\d+x\\d+")) {
            w = Integer.parseInt(size.substring(0, size.indexOf('x')));
            h = Integer.parseInt(size.substring(size.indexOf('x') + 1));
        }
        int sizeClass = (int) Math.round(Math.sqrt((double) w * h));
        return new GenerationSettings(prompt.toString(), negative.toString(), steps, cfg,
                sampler == null ? d.sampler : sampler.id, seed, !kv.containsKey("Seed"), null, sizeClass, w, h, 1,
                d.device, d.dtype, d.preview, kv.getOrDefault("Model", ""),
                lorasOf(kv.get("Lora hashes"), kv.get("Lora strengths"))).normalized();
    }

    /**
     * A1111's {@code Lora hashes: "name: hash, …"} with the engine's {@code Lora strengths: "name: 0.7, …"};
     * the file is unknown (the studio's LoRA list finds it by name and hash).
     */
    private static List<LoraSetting> lorasOf(String hashes, String strengths) {
        Map<String, String> hash = namedValues(hashes);
        Map<String, String> strength = namedValues(strengths);
        List<LoraSetting> out = new ArrayList<>();
        java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>(hash.keySet());
        names.addAll(strength.keySet());
        for (String name : names) {
            out.add(new LoraSetting("", name, parseDouble(strength.get(name), 1.0), true, hash.getOrDefault(name, "")));
        }
        return out;
    }

    private static Map<String, String> namedValues(String list) {
        Map<String, String> out = new LinkedHashMap<>();
        if (list == null) {
            return out;
        }
        for (String item : list.split(",")) {
            int colon = item.lastIndexOf(':');
            if (colon > 0) {
                out.put(item.substring(0, colon).strip(), item.substring(colon + 1).strip());
            }
        }
        return out;
    }

    private static int parseInt(String s, int def) {
        try {
            return s == null ? def : Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return def;
        }
    }

    private static long parseLong(String s, long def) {
        try {
            return s == null ? def : Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return def;
        }
    }

    private static double parseDouble(String s, double def) {
        try {
            return s == null ? def : Double.parseDouble(s.strip());
        } catch (NumberFormatException e) {
            return def;
        }
    }
}

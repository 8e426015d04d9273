package studio.pixart.engine.lora;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.io.SafetensorsFile;
import studio.pixart.engine.io.TensorInfo;

/**
 * A LoRA for the PixArt transformer read from any of the three layouts met in the wild, as
 * low-rank factors per target Linear module (named as in the transformer, e.g.
 * {@code transformer_blocks.0.attn1.to_q}) with the scale that multiplies B·A:
 * <ul>
 * <li>peft adapter folder: {@code adapter_model.safetensors} with
 * {@code base_model.model.<module>.lora_A.weight / lora_B.weight} and {@code adapter_config.json}:
 * scale = lora_alpha / r ({@code alpha_pattern}/{@code rank_pattern} per module, √r with
 * {@code use_rslora});</li>
 * <li>diffusers file: {@code transformer.<module>.lora_A.weight / lora_B.weight} (optional
 * {@code transformer.<module>.alpha}): scale 1 unless an alpha is given, then alpha / rank;</li>
 * <li>kohya / OneTrainer file: {@code lora_transformer_<module with dots as _>.lora_down.weight /
 * .lora_up.weight / .alpha}: scale = alpha / rank (1 without alpha). The underscored names are
 * mapped back against the transformer's real module names by the merger.</li>
 * </ul>
 * Files meant for other models (a Stable Diffusion UNet or text encoder) are refused naming the key.
 */
public final class LoraFile {
    public enum Layout { PEFT, DIFFUSERS, KOHYA }

    /**
     * The factors of one module: {@code down} = A (rank × in), {@code up} = B (out × rank), both
     * row-major float32, and the scale (alpha / rank). {@code key} is the module as the file names
     * it (kohya: underscored), for messages.
     */
    public record Factors(String module, String key, int rank, long in, long out, float[] down, float[] up,
                          double scale) {}

    private static final Pattern OTHER_MODEL = Pattern.compile(
            "^(lora_unet_|lora_te\\d?_|unet\\.|text_encoder\\.|text_encoder_2\\.|lora_te_text_model|model\\.diffusion_model\\.).*");

    private final Path path;
    private final Layout layout;
    private final String sha256;
    /** By module name (kohya: the underscored name until {@link #resolveKohya}). */
    private final Map<String, Factors> modules;

    private LoraFile(Path path, Layout layout, String sha256, Map<String, Factors> modules) {
        this.path = path;
        this.layout = layout;
        this.sha256 = sha256;
        this.modules = modules;
    }

    public Path path() {
        return path;
    }

    /** The name shown and recorded: the file name (the folder's name for a peft adapter). */
    public String name() {
        return path.getFileName().toString();
    }

    public Layout layout() {
        return layout;
    }

    /** SHA-256 of the weights file, hex. */
    public String sha256() {
        return sha256;
    }

    /** The first 12 hex digits of {@link #sha256}, as recorded in image metadata. */
    public String shortHash() {
        return sha256.substring(0, 12);
    }

    public Collection<Factors> factors() {
        return modules.values();
    }

    /** Reads a peft adapter folder or a .safetensors file; every problem names the file and key. */
    public static LoraFile read(Path path) {
        if (!Files.exists(path)) {
            throw new LoraException(path, "LoRA file not found");
        }
        if (Files.isDirectory(path)) {
            Path weights = path.resolve("adapter_model.safetensors");
            Path config = path.resolve("adapter_config.json");
            if (!Files.isRegularFile(weights)) {
                throw new LoraException(path, "a LoRA folder must be a peft adapter with adapter_model.safetensors"
                        + " (adapter_model.bin is not read: convert it to safetensors)");
            }
            if (!Files.isRegularFile(config)) {
                throw new LoraException(path, "peft adapter folder has no adapter_config.json (needed for lora_alpha and r)");
            }
            return readPeft(path, weights, Json.read(config));
        }
        if (!path.getFileName().toString().toLowerCase().endsWith(".safetensors")) {
            throw new LoraException(path, "a LoRA must be a .safetensors file or a peft adapter folder");
        }
        try (SafetensorsFile st = SafetensorsFile.open(path)) {
            Map<String, TensorInfo> tensors = st.tensors();
            if (tensors.isEmpty()) {
                throw new LoraException(path, "holds no tensors");
            }
            for (String k : tensors.keySet()) {
                if (OTHER_MODEL.matcher(k).matches()) {
                    throw new LoraException(path, "is a LoRA for another model (tensor '" + k + "' targets a Stable "
                            + "Diffusion UNet or text encoder), not for the PixArt transformer");
                }
            }
            String first = tensors.keySet().iterator().next();
            if (tensors.keySet().stream().anyMatch(k -> k.startsWith("lora_transformer_"))) {
                return new LoraFile(path, Layout.KOHYA, sha256(path), kohya(st));
            }
            if (tensors.keySet().stream().anyMatch(k -> k.contains(".lora_A.") || k.contains(".lora_B."))) {
                String prefix = tensors.keySet().stream().anyMatch(k -> k.startsWith("base_model.model."))
                        ? "base_model.model." : "transformer.";
                Map<String, Factors> m = loraAB(st, prefix, null);
                return new LoraFile(path, prefix.equals("transformer.") ? Layout.DIFFUSERS : Layout.PEFT, sha256(path), m);
            }
            throw new LoraException(path, "is not a LoRA in a known layout (tensor '" + first + "': expected "
                    + "transformer.<module>.lora_A/lora_B, base_model.model.<module>.lora_A/lora_B or "
                    + "lora_transformer_<module>.lora_down/lora_up)");
        }
    }

    private static LoraFile readPeft(Path folder, Path weights, JsonNode config) {
        if (config.has("peft_type") && !"LORA".equals(config.get("peft_type").asText())) {
            throw new LoraException(folder.resolve("adapter_config.json"),
                    "peft_type is " + config.get("peft_type") + ", only LORA adapters can be merged");
        }
        if (!config.path("r").isNumber() || config.get("r").asInt() < 1) {
            throw new LoraException(folder.resolve("adapter_config.json"), "needs a positive integer \"r\"");
        }
        try (SafetensorsFile st = SafetensorsFile.open(weights)) {
            for (String k : st.tensors().keySet()) {
                String stripped = k.startsWith("base_model.model.") ? k.substring("base_model.model.".length()) : k;
                if (OTHER_MODEL.matcher(stripped).matches()) {
                    throw new LoraException(weights, "is a LoRA for another model (tensor '" + k
                            + "' targets a Stable Diffusion UNet or text encoder), not for the PixArt transformer");
                }
            }
            return new LoraFile(folder, Layout.PEFT, sha256(weights), loraAB(st, "base_model.model.", config));
        }
    }

    /** lora_A / lora_B pairs under {@code prefix}; {@code peft} config gives the scales, else alphas or 1. */
    private static Map<String, Factors> loraAB(SafetensorsFile st, String prefix, JsonNode peft) {
        Map<String, String[]> pairs = new TreeMap<>();
        for (String k : st.tensors().keySet()) {
            String name = k.startsWith(prefix) ? k.substring(prefix.length()) : null;
            if (name == null) {
                throw new LoraException(st.path(), "tensor '" + k + "' is outside the LoRA's '" + prefix + "' keys");
            }
            name = name.replace(".default.weight", ".weight");
            if (name.endsWith(".lora_A.weight")) {
                pairs.computeIfAbsent(name.substring(0, name.length() - ".lora_A.weight".length()), x -> new String[3])[0] = k;
            } else if (name.endsWith(".lora_B.weight")) {
                pairs.computeIfAbsent(name.substring(0, name.length() - ".lora_B.weight".length()), x -> new String[3])[1] = k;
            } else if (name.endsWith(".alpha")) {
                pairs.computeIfAbsent(name.substring(0, name.length() - ".alpha".length()), x -> new String[3])[2] = k;
            } else {
                throw new LoraException(st.path(), "tensor '" + k + "' is neither lora_A, lora_B nor alpha");
            }
        }
        Map<String, Factors> out = new LinkedHashMap<>();
        for (Map.Entry<String, String[]> e : pairs.entrySet()) {
            String module = e.getKey();
            String[] keys = e.getValue();
            Double alpha = keys[2] == null ? null : (double) st.floats(keys[2])[0];
            Factors f = factors(st, module, module, keys[0], keys[1], alpha);
            if (peft != null) {
                f = withScale(f, peftScale(peft, module, f.rank()));
            }
            out.put(module, f);
        }
        return out;
    }

    private static Map<String, Factors> kohya(SafetensorsFile st) {
        Map<String, String[]> triples = new TreeMap<>();
        for (String k : st.tensors().keySet()) {
            if (!k.startsWith("lora_transformer_")) {
                throw new LoraException(st.path(), "tensor '" + k + "' is not a lora_transformer_ key");
            }
            String name = k.substring("lora_transformer_".length());
            int slot;
            if (name.endsWith(".lora_down.weight")) {
                slot = 0;
                name = name.substring(0, name.length() - ".lora_down.weight".length());
            } else if (name.endsWith(".lora_up.weight")) {
                slot = 1;
                name = name.substring(0, name.length() - ".lora_up.weight".length());
            } else if (name.endsWith(".alpha")) {
                slot = 2;
                name = name.substring(0, name.length() - ".alpha".length());
            } else {
                throw new LoraException(st.path(), "tensor '" + k + "' is neither lora_down, lora_up nor alpha");
            }
            triples.computeIfAbsent(name, x -> new String[3])[slot] = k;
        }
        Map<String, Factors> out = new LinkedHashMap<>();
        for (Map.Entry<String, String[]> e : triples.entrySet()) {
            String[] keys = e.getValue();
            Double alpha = keys[2] == null ? null : (double) st.floats(keys[2])[0];
            out.put(e.getKey(), factors(st, e.getKey(), e.getKey(), keys[0], keys[1], alpha));
        }
        return out;
    }

    private static Factors factors(SafetensorsFile st, String module, String key, String down, String up, Double alpha) {
        if (down == null || up == null) {
            throw new LoraException(st.path(), "module '" + key + "' has " + (down == null ? "no down (A)" : "no up (B)")
                    + " matrix");
        }
        long[] a = st.info(down).shape();
        long[] b = st.info(up).shape();
        if (a.length != 2 || b.length != 2) {
            throw new LoraException(st.path(), "module '" + key + "': LoRA factors must be matrices (got "
                    + java.util.Arrays.toString(a) + " and " + java.util.Arrays.toString(b)
                    + "; convolution LoRAs are not supported)");
        }
        if (a[0] != b[1] || a[0] < 1) {
            throw new LoraException(st.path(), "module '" + key + "': rank mismatch, A is " + java.util.Arrays.toString(a)
                    + " and B is " + java.util.Arrays.toString(b) + " (A must be rank × in, B out × rank)");
        }
        int rank = (int) a[0];
        double scale = alpha == null ? 1.0 : alpha / rank;
        if (!Double.isFinite(scale)) {
            throw new LoraException(st.path(), "module '" + key + "': alpha is not finite");
        }
        return new Factors(module, key, rank, a[1], b[0], st.floats(down), st.floats(up), scale);
    }

    private static Factors withScale(Factors f, double scale) {
        return new Factors(f.module(), f.key(), f.rank(), f.in(), f.out(), f.down(), f.up(), scale);
    }

    /** peft's LoraModel: r and lora_alpha, overridden per module by rank_pattern / alpha_pattern. */
    private static double peftScale(JsonNode cfg, String module, int fileRank) {
        int r = cfg.get("r").asInt();
        double alpha = cfg.path("lora_alpha").asDouble(r);
        Integer rp = patternValue(cfg.get("rank_pattern"), module) == null ? null
                : patternValue(cfg.get("rank_pattern"), module).intValue();
        Double ap = patternValue(cfg.get("alpha_pattern"), module);
        if (rp != null) {
            r = rp;
        }
        if (ap != null) {
            alpha = ap;
        }
        if (r != fileRank) {
            throw new LoraException("LoRA module '" + module + "': adapter_config.json gives rank " + r
                    + " but the weights have rank " + fileRank);
        }
        return cfg.path("use_rslora").asBoolean(false) ? alpha / Math.sqrt(r) : alpha / r;
    }

    /** The value of the first pattern that matches the module's name or a dotted suffix of it (peft's rule). */
    private static Double patternValue(JsonNode patterns, String module) {
        if (patterns == null || !patterns.isObject()) {
            return null;
        }
        Iterator<Map.Entry<String, JsonNode>> it = patterns.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (Pattern.compile("(.*\\.)?" + e.getKey() + "$").matcher(module).matches()) {
                return e.getValue().asDouble();
            }
        }
        return null;
    }

    /**
     * Maps kohya's underscored module names back to the transformer's dotted ones; an underscored
     * name that matches no module is kept, so the merger reports it as a missing target.
     */
    public LoraFile resolveKohya(Collection<String> realModules) {
        if (layout != Layout.KOHYA) {
            return this;
        }
        Map<String, String> byUnderscored = new LinkedHashMap<>();
        for (String m : realModules) {
            byUnderscored.put(m.replace('.', '_'), m);
        }
        Map<String, Factors> out = new LinkedHashMap<>();
        for (Factors f : modules.values()) {
            String real = byUnderscored.getOrDefault(f.key(), f.key());
            out.put(real, new Factors(real, f.key(), f.rank(), f.in(), f.out(), f.down(), f.up(), f.scale()));
        }
        return new LoraFile(path, layout, sha256, out);
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new LoraException(file, "cannot read: " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Modules listed in the file, for messages and tests. */
    public List<String> moduleNames() {
        return new ArrayList<>(modules.keySet());
    }
}

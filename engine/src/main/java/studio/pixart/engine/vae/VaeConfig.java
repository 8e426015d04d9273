package studio.pixart.engine.vae;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.Json;

/**
 * The part of a diffusers {@code vae/config.json} that shapes an {@code AutoencoderKL}: channel
 * widths per block, resnets per block, group-norm groups, latent channels and the latent scaling.
 * Everything is validated here so a bad config fails with the key at fault, before any weight is read.
 */
public record VaeConfig(
        int inChannels,
        int outChannels,
        int latentChannels,
        int[] blockOutChannels,
        int layersPerBlock,
        int normNumGroups,
        double scalingFactor,
        double shiftFactor,
        boolean midBlockAddAttention,
        boolean useQuantConv,
        boolean usePostQuantConv) {

    public VaeConfig {
        blockOutChannels = blockOutChannels.clone();
        if (blockOutChannels.length == 0) {
            throw new ConfigException("block_out_channels must list at least one width");
        }
        if (normNumGroups <= 0) { // before the divisibility check below (found by fuzzing: norm_num_groups 0)
            throw new ConfigException("norm_num_groups must be positive, got " + normNumGroups);
        }
        for (int c : blockOutChannels) {
            if (c <= 0 || c % normNumGroups != 0) {
                throw new ConfigException("block_out_channels " + Arrays.toString(blockOutChannels)
                        + ": every width must be positive and divisible by norm_num_groups " + normNumGroups);
            }
        }
        if (inChannels <= 0 || outChannels <= 0 || latentChannels <= 0 || layersPerBlock <= 0 || normNumGroups <= 0) {
            throw new ConfigException("in/out/latent channels, layers_per_block and norm_num_groups must be positive");
        }
        if (!(scalingFactor > 0) || Double.isInfinite(scalingFactor)) {
            throw new ConfigException("scaling_factor must be a positive number, got " + scalingFactor);
        }
        if (!Double.isFinite(shiftFactor)) {
            throw new ConfigException("shift_factor must be a finite number, got " + shiftFactor);
        }
        // generous bounds: a typo (widths of 1e6, 40 levels) must not reach an allocation
        if (blockOutChannels.length > 8 || layersPerBlock > 64 || latentChannels > 1024 || inChannels > 64 || outChannels > 64) {
            throw new ConfigException("VAE config out of range: at most 8 block_out_channels, layers_per_block ≤ 64, "
                    + "latent_channels ≤ 1024, in/out_channels ≤ 64");
        }
        for (int c : blockOutChannels) {
            if (c > 65536) {
                throw new ConfigException("block_out_channels " + Arrays.toString(blockOutChannels) + ": widths above 65536 are not plausible");
            }
        }
    }

    /** Reads {@code config.json} from a VAE folder (or the file itself). */
    public static VaeConfig load(Path vaeDirOrFile) {
        Path file = vaeDirOrFile.getFileName() != null && vaeDirOrFile.getFileName().toString().endsWith(".json")
                ? vaeDirOrFile : vaeDirOrFile.resolve("config.json");
        try {
            return parse(Json.read(file));
        } catch (ConfigException e) {
            if (e.getMessage().startsWith(file.toString())) {
                throw e;
            }
            throw new ConfigException(file, e.getMessage());
        }
    }

    public static VaeConfig parse(JsonNode json) {
        String cls = text(json, "_class_name", "AutoencoderKL");
        if (!cls.equals("AutoencoderKL")) {
            throw new ConfigException("_class_name is " + cls + ", expected AutoencoderKL");
        }
        String act = text(json, "act_fn", "silu");
        if (!act.equals("silu")) {
            throw new ConfigException("act_fn " + act + " is not supported (only silu)");
        }
        JsonNode boc = json.get("block_out_channels");
        if (boc == null || !boc.isArray()) {
            throw new ConfigException("block_out_channels is missing or not a list");
        }
        int[] widths = new int[boc.size()];
        for (int i = 0; i < widths.length; i++) {
            if (!boc.get(i).canConvertToInt() || !boc.get(i).isNumber() || boc.get(i).asDouble() != Math.rint(boc.get(i).asDouble())) {
                throw new ConfigException("block_out_channels[" + i + "] is not an integer: " + boc.get(i));
            }
            widths[i] = boc.get(i).asInt();
        }
        checkBlockTypes(json, "down_block_types", "DownEncoderBlock2D", widths.length);
        checkBlockTypes(json, "up_block_types", "UpDecoderBlock2D", widths.length);
        return new VaeConfig(
                integer(json, "in_channels", 3),
                integer(json, "out_channels", 3),
                integer(json, "latent_channels", 4),
                widths,
                integer(json, "layers_per_block", 1),
                integer(json, "norm_num_groups", 32),
                number(json, "scaling_factor", 0.18215),
                number(json, "shift_factor", 0.0),
                bool(json, "mid_block_add_attention", true),
                bool(json, "use_quant_conv", true),
                bool(json, "use_post_quant_conv", true));
    }

    private static void checkBlockTypes(JsonNode json, String key, String expected, int count) {
        JsonNode types = json.get(key);
        if (types == null || types.isNull()) {
            return;
        }
        if (!types.isArray() || types.size() != count) {
            throw new ConfigException(key + " must list " + count + " blocks (one per block_out_channels entry)");
        }
        for (JsonNode t : types) {
            if (!t.asText().equals(expected)) {
                throw new ConfigException(key + " contains " + t.asText() + "; only " + expected + " is supported");
            }
        }
    }

    private static String text(JsonNode json, String key, String dflt) {
        JsonNode n = json.get(key);
        return n == null || n.isNull() ? dflt : n.asText();
    }

    private static int integer(JsonNode json, String key, int dflt) {
        JsonNode n = json.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.canConvertToInt() || !n.isNumber() || n.asDouble() != Math.rint(n.asDouble())) {
            throw new ConfigException(key + " must be an integer, got " + n);
        }
        return n.asInt();
    }

    private static double number(JsonNode json, String key, double dflt) {
        JsonNode n = json.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber()) {
            throw new ConfigException(key + " must be a number, got " + n);
        }
        return n.asDouble();
    }

    private static boolean bool(JsonNode json, String key, boolean dflt) {
        JsonNode n = json.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw new ConfigException(key + " must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    @Override
    public int[] blockOutChannels() {
        return blockOutChannels.clone();
    }

    /** Pixels per latent cell: 2^(number of blocks − 1) (8 for the SD/SDXL VAE). */
    public int scaleFactor() {
        return 1 << (blockOutChannels.length - 1);
    }

    /** The deepest width (the mid-block's channels). */
    public int deepestChannels() {
        return blockOutChannels[blockOutChannels.length - 1];
    }

    /** The config.json diffusers would write for this configuration (used by tests and tools). */
    public String toJson() {
        StringBuilder widths = new StringBuilder();
        for (int i = 0; i < blockOutChannels.length; i++) {
            widths.append(i == 0 ? "" : ", ").append(blockOutChannels[i]);
        }
        String down = String.join(", ", java.util.Collections.nCopies(blockOutChannels.length, "\"DownEncoderBlock2D\""));
        String up = String.join(", ", java.util.Collections.nCopies(blockOutChannels.length, "\"UpDecoderBlock2D\""));
        return "{\n  \"_class_name\": \"AutoencoderKL\",\n  \"act_fn\": \"silu\",\n"
                + "  \"block_out_channels\": [" + widths + "],\n"
                + "  \"down_block_types\": [" + down + "],\n  \"up_block_types\": [" + up + "],\n"
                + "  \"in_channels\": " + inChannels + ",\n  \"out_channels\": " + outChannels + ",\n"
                + "  \"latent_channels\": " + latentChannels + ",\n  \"layers_per_block\": " + layersPerBlock + ",\n"
                + "  \"norm_num_groups\": " + normNumGroups + ",\n  \"scaling_factor\": " + scalingFactor + ",\n"
                + "  \"shift_factor\": " + (shiftFactor == 0 ? "null" : Double.toString(shiftFactor)) + ",\n"
                + "  \"mid_block_add_attention\": " + midBlockAddAttention + ",\n"
                + "  \"use_quant_conv\": " + useQuantConv + ",\n  \"use_post_quant_conv\": " + usePostQuantConv + "\n}\n";
    }
}

package studio.pixart.engine.poster;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import studio.pixart.engine.io.Json;

/**
 * Poster, wallpaper, phone and social presets, read from {@code presets/export-presets.json}
 * (assets/ in the source tree). Print presets have a physical size and are rendered at a DPI,
 * capped at a maximum long side; the effective DPI is then lower and reported.
 */
public final class ExportPresets {
    /** A preset resolved at a DPI: exact pixels, and the DPI to write into the file (0 = none). */
    public record Preset(String id, String name, String category, int width, int height, int dpi, boolean capped) {
        public String describe() {
            return String.format(Locale.ROOT, "%-26s %-10s %5d x %-5d%s", id, category, width, height,
                    dpi > 0 ? " @ " + dpi + " dpi" + (capped ? " (capped)" : "") : "");
        }
    }

    private final JsonNode root;

    private ExportPresets(JsonNode root) {
        this.root = root;
    }

    public static ExportPresets load() {
        try (InputStream in = ExportPresets.class.getResourceAsStream("/presets/export-presets.json")) {
            if (in == null) {
                throw new IllegalStateException("export-presets.json missing from the engine jar");
            }
            return new ExportPresets(Json.MAPPER.readTree(in));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read export presets: " + e.getMessage(), e);
        }
    }

    public int defaultDpi() {
        return root.path("default_dpi").asInt(300);
    }

    public int maxLongSide() {
        return root.path("max_long_side").asInt(4096);
    }

    public List<Preset> all(int dpi) {
        List<Preset> out = new ArrayList<>();
        for (JsonNode p : root.get("presets")) {
            out.add(resolve(p, dpi, maxLongSide()));
        }
        return out;
    }

    /** A preset by id (or name, case-insensitive) at {@code dpi} (0 = the default DPI). */
    public Preset find(String idOrName, int dpi) {
        for (JsonNode p : root.get("presets")) {
            if (p.get("id").asText().equalsIgnoreCase(idOrName) || p.get("name").asText().equalsIgnoreCase(idOrName)) {
                return resolve(p, dpi > 0 ? dpi : defaultDpi(), maxLongSide());
            }
        }
        throw new IllegalArgumentException("no preset '" + idOrName + "' (see `pixart poster --list-presets`)");
    }

    static Preset resolve(JsonNode p, int dpi, int maxLongSide) {
        String id = p.get("id").asText();
        String name = p.get("name").asText();
        String cat = p.get("category").asText();
        if (p.has("width")) {
            return new Preset(id, name, cat, p.get("width").asInt(), p.get("height").asInt(), 0, false);
        }
        double wIn = p.has("width_mm") ? p.get("width_mm").asDouble() / 25.4 : p.get("width_in").asDouble();
        double hIn = p.has("height_mm") ? p.get("height_mm").asDouble() / 25.4 : p.get("height_in").asDouble();
        int w = (int) Math.round(wIn * dpi);
        int h = (int) Math.round(hIn * dpi);
        int effectiveDpi = dpi;
        boolean capped = false;
        if (Math.max(w, h) > maxLongSide) {
            double s = (double) maxLongSide / Math.max(w, h);
            w = (int) Math.round(w * s);
            h = (int) Math.round(h * s);
            effectiveDpi = (int) Math.floor(dpi * s);
            capped = true;
        }
        return new Preset(id, name, cat, w, h, effectiveDpi, capped);
    }
}

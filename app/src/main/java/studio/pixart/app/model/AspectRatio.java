package studio.pixart.app.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import studio.pixart.engine.io.Json;

/** A width:height ratio preset (from assets/presets/aspect-ratios.json). */
public record AspectRatio(String label, int w, int h, String hint) {
    public double value() {
        return w / (double) h;
    }

    /**
     * The requested size for a size class: the same area as a square of {@code side} pixels,
     * in this ratio, each side rounded to a multiple of 8 (what the VAE needs).
     */
    public int[] sizeFor(int side) {
        double r = value();
        int width = Math.max(8, (int) Math.round(side * Math.sqrt(r) / 8.0) * 8);
        int height = Math.max(8, (int) Math.round(side / Math.sqrt(r) / 8.0) * 8);
        return new int[] {width, height};
    }

    public static List<AspectRatio> presets() {
        String res = "/studio/pixart/app/assets/presets/aspect-ratios.json";
        try (InputStream in = AspectRatio.class.getResourceAsStream(res)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + res + " (assets/ not bundled into the app)");
            }
            JsonNode root = Json.MAPPER.readTree(in);
            List<AspectRatio> out = new ArrayList<>();
            for (JsonNode n : root.path("ratios")) {
                out.add(new AspectRatio(n.path("label").asText(), n.path("w").asInt(), n.path("h").asInt(),
                        n.path("hint").asText("")));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The preset closest to a width/height (used when settings are restored from an image). */
    public static AspectRatio closest(List<AspectRatio> presets, int width, int height) {
        double r = Math.log(width / (double) height);
        AspectRatio best = presets.get(0);
        for (AspectRatio a : presets) {
            if (Math.abs(Math.log(a.value()) - r) < Math.abs(Math.log(best.value()) - r)) {
                best = a;
            }
        }
        return best;
    }
}

package studio.pixart.app.settings;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One LoRA of the form: its file (or, restored from a foreign image's text, just its name), the
 * strength, whether it is on, and the content hash the image that used it recorded (may be "").
 */
public record LoraSetting(String file, String name, double strength, boolean enabled, String sha256) {
    public LoraSetting {
        file = file == null ? "" : file;
        name = name == null || name.isBlank() ? nameOf(file) : name;
        sha256 = sha256 == null ? "" : sha256;
        if (!Double.isFinite(strength)) {
            strength = 1.0;
        }
    }

    public static LoraSetting of(Path file, double strength) {
        return new LoraSetting(file.toString(), nameOf(file.toString()), strength, true, "");
    }

    static String nameOf(String file) {
        if (file == null || file.isBlank()) {
            return "";
        }
        Path p = Path.of(file).getFileName();
        return p == null ? file : p.toString();
    }

    public LoraSetting withStrength(double s) {
        return new LoraSetting(file, name, s, enabled, sha256);
    }

    public LoraSetting withEnabled(boolean on) {
        return new LoraSetting(file, name, strength, on, sha256);
    }

    public LoraSetting withFile(String f, String hash) {
        return new LoraSetting(f, name, strength, enabled, hash);
    }

    /** The engine's metadata entry (name, file, strength; sha256 when known). */
    Map<String, Object> toMetadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("file", file);
        m.put("strength", strength);
        if (!sha256.isEmpty()) {
            m.put("sha256", sha256);
        }
        return m;
    }
}

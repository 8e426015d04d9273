package studio.pixart.app.settings;

import java.util.Locale;

/** The engine's samplers with the names people know them by (A1111 "Sampler:" values). */
public enum Sampler {
    DPM("dpm", "DPM++ 2M"), DDIM("ddim", "DDIM"), EULER("euler", "Euler"), LCM("lcm", "LCM"), SA("sa", "SA-Solver");

    public final String id;
    public final String display;

    Sampler(String id, String display) {
        this.id = id;
        this.display = display;
    }

    @Override
    public String toString() {
        return display;
    }

    /** Accepts our ids and display names and the usual A1111/ComfyUI spellings; null if unknown. */
    public static Sampler parse(String s) {
        if (s == null) {
            return null;
        }
        String k = s.trim().toLowerCase(Locale.ROOT);
        for (Sampler v : values()) {
            if (k.equals(v.id) || k.equals(v.display.toLowerCase(Locale.ROOT))) {
                return v;
            }
        }
        if (k.startsWith("dpm++ 2m") || k.startsWith("dpmpp_2m") || k.startsWith("dpm-solver")) {
            return DPM;
        }
        if (k.startsWith("euler")) {
            return EULER;
        }
        if (k.startsWith("sa-solver") || k.startsWith("sa_solver")) {
            return SA;
        }
        return null;
    }
}

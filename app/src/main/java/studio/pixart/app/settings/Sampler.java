package studio.pixart.app.settings;

import java.util.Locale;
import studio.pixart.engine.scheduler.Schedulers;

/**
 * The engine's samplers with the names people know them by (A1111 "Sampler:" values); the short
 * ids and names are the engine's ({@link Schedulers#SAMPLERS}).
 */
public enum Sampler {
    DPM("dpm"), DPM_KARRAS("dpm-karras"), DPM_SDE("dpm-sde"), DPM_SDE_KARRAS("dpm-sde-karras"), DPM_3M("dpm3"),
    EULER("euler"), EULER_KARRAS("euler-karras"), EULER_A("euler-a"), UNIPC("unipc"), UNIPC_KARRAS("unipc-karras"),
    DDIM("ddim"), LCM("lcm"), SA("sa");

    public final String id;
    public final String display;

    Sampler(String id) {
        this.id = id;
        this.display = Schedulers.sampler(id).displayName();
    }

    @Override
    public String toString() {
        return display;
    }

    /**
     * Accepts our ids and display names and the usual A1111 / ComfyUI spellings ("DPM++ 2M Karras",
     * "dpmpp_2m_sde", "Euler a", "euler_ancestral", "uni_pc"); null if unknown.
     */
    public static Sampler parse(String s) {
        return parse(s, null);
    }

    /**
     * As {@link #parse(String)}, with A1111's separate "Schedule type" (or ComfyUI's scheduler):
     * "Karras" picks the Karras variant when there is one.
     */
    public static Sampler parse(String s, String scheduleType) {
        if (s == null) {
            return null;
        }
        String k = s.trim().toLowerCase(Locale.ROOT);
        for (Sampler v : values()) {
            if (k.equals(v.id) || k.equals(v.display.toLowerCase(Locale.ROOT))) {
                return karras(v, scheduleType);
            }
        }
        // one spelling for A1111 ("DPM++ 2M SDE Karras") and ComfyUI ("dpmpp_2m_sde"): words
        String w = " " + k.replace('_', ' ').replace('-', ' ').replace("dpmpp", "dpm++").replaceAll("\\s+", " ") + " ";
        boolean isKarras = w.contains(" karras ");
        Sampler base;
        if (w.contains("dpm++ 2m sde") || w.contains("dpm++ sde")) {
            base = DPM_SDE;
        } else if (w.contains("dpm++ 3m") || w.contains("dpm++3m")) {
            base = DPM_3M;
        } else if (w.contains("dpm++ 2m") || w.contains("dpm solver") || w.startsWith(" dpm++")) {
            base = DPM;
        } else if (w.contains(" euler a ") || w.contains("euler ancestral") || w.contains(" euler a")) {
            base = EULER_A;
        } else if (w.contains("euler")) {
            base = EULER;
        } else if (w.contains("unipc") || w.contains("uni pc")) {
            base = UNIPC;
        } else if (w.contains("ddim")) {
            base = DDIM;
        } else if (w.contains(" lcm ")) {
            base = LCM;
        } else if (w.contains("sa solver")) {
            base = SA;
        } else {
            return null;
        }
        return karras(base, isKarras ? "karras" : scheduleType);
    }

    private static Sampler karras(Sampler base, String scheduleType) {
        if (scheduleType == null || !scheduleType.trim().toLowerCase(Locale.ROOT).startsWith("karras")) {
            return base;
        }
        return switch (base) {
            case DPM -> DPM_KARRAS;
            case DPM_SDE -> DPM_SDE_KARRAS;
            case EULER -> EULER_KARRAS;
            case UNIPC -> UNIPC_KARRAS;
            default -> base;
        };
    }
}

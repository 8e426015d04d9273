package studio.pixart.app.vm;

import java.time.Duration;
import java.util.Locale;

/** How the view-models write durations and long texts. */
public final class Texts {
    private Texts() {}

    public static String formatDuration(Duration d) {
        if (d == null) {
            return "\u2014";
        }
        long ms = d.toMillis();
        if (ms < 10_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        long s = Math.round(ms / 1000.0);
        return s < 60 ? s + " s" : (s / 60) + " min " + (s % 60) + " s";
    }

    public static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026";
    }
}

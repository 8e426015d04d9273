package studio.pixart.app.io;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import studio.pixart.app.settings.GenerationSettings;

/**
 * Export file names from the Preferences pattern: {seed}, {date} (2026-11-30), {time} (142501),
 * {prompt} (its first words, safe for any file system), {model}, {steps}, {sampler}, {width}, {height}.
 */
public final class FileNames {
    private FileNames() {}

    public static String format(String pattern, GenerationSettings s, LocalDateTime now) {
        String p = pattern == null || pattern.isBlank() ? "pixart-{seed}" : pattern;
        String name = p.replace("{seed}", Long.toString(s.seed()))
                .replace("{date}", now.format(DateTimeFormatter.ISO_LOCAL_DATE))
                .replace("{time}", now.format(DateTimeFormatter.ofPattern("HHmmss")))
                .replace("{prompt}", slug(s.prompt(), 40))
                .replace("{model}", slug(lastPart(s.model()), 40))
                .replace("{steps}", Integer.toString(s.steps()))
                .replace("{sampler}", s.sampler())
                .replace("{width}", Integer.toString(s.width()))
                .replace("{height}", Integer.toString(s.height()));
        name = name.replaceAll("[/\\\\:*?\"<>|\\p{Cntrl}]", "_").strip();
        return name.isEmpty() || name.equals(".") || name.equals("..") ? "pixart-" + s.seed() : name;
    }

    /** Lower-case words joined by '-', at most {@code max} characters, cut at a word. */
    static String slug(String text, int max) {
        String words = text == null ? "" : text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", "-")
                .replaceAll("^-+|-+$", "");
        if (words.length() <= max) {
            return words;
        }
        int cut = words.lastIndexOf('-', max);
        return words.substring(0, cut > 0 ? cut : max);
    }

    private static String lastPart(String model) {
        if (model == null) {
            return "";
        }
        String m = model.replace('\\', '/');
        while (m.endsWith("/")) {
            m = m.substring(0, m.length() - 1);
        }
        return m.substring(m.lastIndexOf('/') + 1);
    }
}

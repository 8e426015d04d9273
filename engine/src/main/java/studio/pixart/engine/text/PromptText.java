package studio.pixart.engine.text;

import java.util.Locale;

/**
 * The pipeline's prompt pre-processing with {@code clean_caption=False}:
 * {@code text.lower().strip()} with Python's semantics.
 *
 * <p>Java's {@code toLowerCase(Locale.ROOT)} applies the same full Unicode mapping as Python's
 * {@code str.lower()} (special casing such as {@code İ → i̇}, and the final-sigma rule), so only
 * {@code strip()} needs care: Python strips every character for which {@code str.isspace()} is
 * true, which is wider than both {@link String#strip()} and {@link Character#isWhitespace}
 * (NBSP, U+2007, U+202F, U+0085 and U+001C–U+001F are included).
 */
public final class PromptText {
    private PromptText() {}

    /** {@code text.lower().strip()} as Python computes it. */
    public static String preprocess(String text) {
        return strip(text.toLowerCase(Locale.ROOT));
    }

    /** Python's {@code str.strip()} with no argument. */
    public static String strip(String s) {
        int begin = 0;
        int end = s.length();
        while (begin < end && isPythonWhitespace(s.charAt(begin))) {
            begin++;
        }
        while (end > begin && isPythonWhitespace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(begin, end);
    }

    /** Python's {@code str.lstrip()}. */
    public static String stripLeading(String s) {
        int begin = 0;
        while (begin < s.length() && isPythonWhitespace(s.charAt(begin))) {
            begin++;
        }
        return s.substring(begin);
    }

    /** Python's {@code str.rstrip()}. */
    public static String stripTrailing(String s) {
        int end = s.length();
        while (end > 0 && isPythonWhitespace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    /**
     * Python's {@code str.isspace()} for one character: bidirectional class WS, B or S, or
     * general category Zs. All such characters are in the BMP.
     */
    public static boolean isPythonWhitespace(char c) {
        switch (c) {
            case '\t', '\n', '\u000B', '\f', '\r', '\u001C', '\u001D', '\u001E', '\u001F', ' ',
                    '\u0085', '\u00A0', '\u1680', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000':
                return true;
            default:
                return c >= '\u2000' && c <= '\u200A';
        }
    }
}

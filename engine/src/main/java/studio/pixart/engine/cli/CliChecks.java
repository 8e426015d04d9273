package studio.pixart.engine.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import studio.pixart.engine.io.AtomicFiles;

/**
 * Validation of command-line values before any work starts: each failure is a {@link UsageError}
 * naming the option, the value given and what is allowed. {@link PixArtCli} prints it as
 * {@code error: …} with exit code 2 (a usage error, as picocli's own).
 */
final class CliChecks {
    /** T5 v1.1 was trained at 512 tokens; PixArt-Σ uses 300 and PixArt-α 120. */
    static final int MAX_SEQUENCE_LENGTH = 512;
    /** The largest image side the engine accepts (GenerationRequest's bound). */
    static final int MAX_SIDE = 16384;

    private CliChecks() {}

    /** A bad command-line value; the message names the option and what is allowed. */
    static final class UsageError extends IllegalArgumentException {
        UsageError(String message) {
            super(message);
        }

        UsageError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static int range(String option, Integer value, int min, int max) {
        if (value == null) {
            return 0;
        }
        if (value < min || value > max) {
            throw new UsageError(option + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    static double range(String option, double value, double min, boolean minInclusive, double max) {
        boolean lowOk = minInclusive ? value >= min : value > min;
        if (!Double.isFinite(value) || !lowOk || value > max) {
            throw new UsageError(option + " must be " + (minInclusive ? "between " + fmt(min) + " and " + fmt(max)
                    : "greater than " + fmt(min) + " and at most " + fmt(max)) + ", got " + value);
        }
        return value;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** {@code value} lower-cased when it is one of {@code allowed} (case-insensitive). */
    static String oneOf(String option, String value, List<String> allowed) {
        String v = value == null ? "" : value.toLowerCase(Locale.ROOT);
        if (!allowed.contains(v)) {
            throw new UsageError(option + " must be one of " + String.join(", ", allowed) + "; got '" + value + "'");
        }
        return v;
    }

    static void notBlank(String option, String value, String what) {
        if (value == null || value.isBlank()) {
            throw new UsageError("missing " + option + " " + what);
        }
    }

    /** An output file: writable (or creatable) and, when {@code extensions} is not empty, ending in one of them. */
    static void outputFile(String option, Path file, List<String> extensions) {
        if (file == null) {
            throw new UsageError("missing " + option + " FILE");
        }
        extension(option, file, extensions);
        try {
            AtomicFiles.checkWritable(file, option);
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
    }

    static void extension(String option, Path file, List<String> extensions) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!extensions.isEmpty() && extensions.stream().noneMatch(e -> name.endsWith(e) && name.length() > e.length())) {
            throw new UsageError(option + " " + file + ": the file name must end in " + String.join(", ", extensions));
        }
    }

    static void outputFolder(String option, Path folder) {
        try {
            AtomicFiles.checkFolderWritable(folder, option);
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
    }
}

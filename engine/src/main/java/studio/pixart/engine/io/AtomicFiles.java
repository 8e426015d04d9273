package studio.pixart.engine.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file completely to a temp file beside it, then moves it into place: a reader never
 * sees a partial file, and a failure (full disk, unwritable folder) leaves the old file untouched.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static void write(Path target, SafetensorsWriter.StreamWriter body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new IOException("cannot create folder " + dir + ": " + e.getMessage(), e);
            }
        }
        if (dir != null && !Files.isWritable(dir)) {
            throw new IOException("folder " + dir + " is not writable");
        }
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".part");
        } catch (IOException e) {
            throw new IOException("cannot write in " + dir + ": " + e.getMessage(), e);
        }
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                body.write(out);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            String msg = e.getMessage() != null && e.getMessage().contains("No space left")
                    ? "disk full while writing " + abs : "cannot write " + abs + ": " + e.getMessage();
            throw new IOException(msg, e);
        }
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}

package studio.pixart.engine.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a file completely to a temp file beside it, then moves it into place: a reader never
 * sees a partial file, and a failure (full disk, unwritable folder) leaves the old file untouched.
 * The temp file is created like any new file (mode 0666 less the user's umask, so images come out
 * 0644 for the usual umask 022, not the 0600 of {@code Files.createTempFile}); replacing an
 * existing file keeps that file's permissions. {@link #writeAll} writes several files all or
 * nothing, and {@link #checkWritable} finds a bad destination before any work is done.
 */
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {}

    public static void write(Path target, SafetensorsWriter.StreamWriter body) throws IOException {
        Map<Path, SafetensorsWriter.StreamWriter> one = new LinkedHashMap<>();
        one.put(target, body);
        writeAll(one);
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /**
     * Writes every file to its temp file first; only when all are complete are they moved into
     * place. A failure while writing leaves no target touched; a failure while moving (rare: a
     * rename in the same folder) removes the targets already moved by this call.
     */
    public static void writeAll(Map<Path, SafetensorsWriter.StreamWriter> files) throws IOException {
        Map<Path, Path> temps = new LinkedHashMap<>();
        List<Path> moved = new ArrayList<>();
        Path current = null;
        try {
            for (Map.Entry<Path, SafetensorsWriter.StreamWriter> e : files.entrySet()) {
                Path abs = e.getKey().toAbsolutePath();
                current = abs;
                Path tmp = createTemp(abs);
                temps.put(abs, tmp);
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.WRITE), 1 << 16)) {
                    e.getValue().write(out);
                }
                copyPermissions(abs, tmp);
            }
            for (Map.Entry<Path, Path> e : temps.entrySet()) {
                current = e.getKey();
                try {
                    Files.move(e.getValue(), e.getKey(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException ex) {
                    Files.move(e.getValue(), e.getKey(), StandardCopyOption.REPLACE_EXISTING);
                }
                moved.add(e.getKey());
            }
        } catch (IOException | RuntimeException e) {
            for (Path tmp : temps.values()) {
                Files.deleteIfExists(tmp);
            }
            for (Path m : moved) {
                Files.deleteIfExists(m);
            }
            if (e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith("cannot ")) {
                throw io;
            }
            String msg = e.getMessage() != null && e.getMessage().contains("No space left")
                    ? "disk full while writing " + current : "cannot write " + current + ": " + e.getMessage();
            throw new IOException(msg, e);
        }
    }

    /** A new empty file beside {@code abs}, created with the default (umask) permissions. */
    private static Path createTemp(Path abs) throws IOException {
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new IOException("cannot create folder " + dir + ": " + e.getMessage(), e);
            }
        }
        if (dir != null && !Files.isWritable(dir)) {
            throw new IOException("cannot write in " + dir + ": the folder is not writable");
        }
        removeStaleTemps(abs);
        for (int attempt = 0; ; attempt++) {
            Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".part");
            try {
                Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
            } catch (IOException e) {
                throw new IOException("cannot write in " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** A temp file this old is left over from a killed process (no write takes this long): remove it. */
    static final java.time.Duration STALE_TEMP_AGE = java.time.Duration.ofMinutes(10);

    private static void removeStaleTemps(Path abs) {
        Path dir = abs.getParent();
        if (dir == null) {
            return;
        }
        String prefix = "." + abs.getFileName() + ".";
        long cutoff = System.currentTimeMillis() - STALE_TEMP_AGE.toMillis();
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir,
                p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(".part"))) {
            for (Path p : ds) {
                if (Files.getLastModifiedTime(p).toMillis() < cutoff) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            // best effort: a leftover temp file is untidy, not harmful
        }
    }

    /** Replacing a file keeps its permissions (a user who made an export private keeps it so). */
    private static void copyPermissions(Path target, Path tmp) {
        try {
            if (Files.isRegularFile(target)) {
                PosixFileAttributeView from = Files.getFileAttributeView(target, PosixFileAttributeView.class);
                PosixFileAttributeView to = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
                if (from != null && to != null) {
                    to.setPermissions(from.readAttributes().permissions());
                }
            }
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the new file keeps the default permissions
        }
    }

    /**
     * Fails, before any work, when {@code target} cannot be written: it is a folder, a parent is a
     * file, the nearest existing folder is not writable, or the file exists and is read-only.
     * Folders that do not exist yet are fine (they are created on write).
     *
     * @param what names the destination in the message, e.g. "--out"
     */
    public static void checkWritable(Path target, String what) {
        Path abs = target.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            throw new IllegalArgumentException(what + " " + target + " is a folder; give a file name");
        }
        if (Files.exists(abs) && !Files.isWritable(abs)) {
            throw new IllegalArgumentException(what + " " + target + " exists and is not writable");
        }
        checkFolderUsable(abs.getParent(), what + " " + target);
    }

    /** As {@link #checkWritable} for a folder that will be created if missing. */
    public static void checkFolderWritable(Path folder, String what) {
        Path abs = folder.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new IllegalArgumentException(what + " " + folder + " is a file, not a folder");
        }
        checkFolderUsable(abs, what + " " + folder);
    }

    private static void checkFolderUsable(Path dir, String what) {
        Path p = dir;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            return;
        }
        if (!Files.isDirectory(p)) {
            throw new IllegalArgumentException(what + ": cannot create folder " + dir + " because " + p + " is a file");
        }
        if (!Files.isWritable(p)) {
            throw new IllegalArgumentException(what + ": folder " + p + " is not writable");
        }
    }
}

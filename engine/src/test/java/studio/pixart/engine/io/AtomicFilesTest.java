package studio.pixart.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    /** What an ordinary new file gets here: 0666 less the process umask. */
    private Set<PosixFilePermission> ordinaryNewFile() throws IOException {
        Path ref = dir.resolve("reference");
        new FileOutputStream(ref.toFile()).close();
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(ref);
        Files.delete(ref);
        return p;
    }

    @Test
    void newFilesGetTheUmaskPermissionsNotPrivateTempFilePermissions() throws IOException {
        Set<PosixFilePermission> expected = ordinaryNewFile();
        Path f = dir.resolve("image.png");
        AtomicFiles.writeString(f, "data");
        assertEquals(PosixFilePermissions.toString(expected), PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        // with the usual umask 022 that is rw-r--r--, readable by the image viewer of another account
        if (expected.contains(PosixFilePermission.OTHERS_READ)) {
            assertTrue(Files.getPosixFilePermissions(f).contains(PosixFilePermission.OTHERS_READ));
        }
    }

    @Test
    void replacingAFileKeepsItsPermissions() throws IOException {
        Path f = dir.resolve("private.png");
        AtomicFiles.writeString(f, "old");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        AtomicFiles.writeString(f, "new");
        assertEquals("new", Files.readString(f));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    @Test
    void writeAllIsAllOrNothing() throws IOException {
        Path a = dir.resolve("a.png");
        Path b = dir.resolve("b.png");
        Files.writeString(a, "old a");
        Map<Path, SafetensorsWriter.StreamWriter> files = new LinkedHashMap<>();
        files.put(a, out -> out.write("new a".getBytes()));
        files.put(b, out -> {
            out.write("half of b".getBytes());
            throw new IOException("No space left on device");
        });
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeAll(files));
        assertTrue(e.getMessage().contains("disk full") && e.getMessage().contains("b.png"), e.getMessage());
        assertEquals("old a", Files.readString(a), "the first file is untouched when the second fails");
        assertFalse(Files.exists(b));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(a), s.toList(), "no temp file is left behind");
        }
    }

    @Test
    void tempFilesLeftByAKilledWriterAreRemovedByTheNextWrite() throws IOException {
        Path target = dir.resolve("export.png");
        Path stale = Files.writeString(dir.resolve(".export.png.k1lled.part"), "half an image");
        Path recent = Files.writeString(dir.resolve(".export.png.wr1ting.part"), "another writer, now");
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() - AtomicFiles.STALE_TEMP_AGE.toMillis() - 60_000));
        AtomicFiles.writeString(target, "complete");
        assertFalse(Files.exists(stale), "a temp file older than any write is removed");
        assertTrue(Files.exists(recent), "a recent temp file may belong to a running writer");
    }

    @Test
    void destinationsAreCheckedBeforeAnyWork() throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        IllegalArgumentException underFile = assertThrows(IllegalArgumentException.class,
                () -> AtomicFiles.checkWritable(file.resolve("deeper/out.png"), "--out"));
        assertTrue(underFile.getMessage().contains("--out") && underFile.getMessage().contains("is a file"), underFile.getMessage());
        IllegalArgumentException folder = assertThrows(IllegalArgumentException.class,
                () -> AtomicFiles.checkWritable(dir, "--out"));
        assertTrue(folder.getMessage().contains("is a folder"), folder.getMessage());
        IllegalArgumentException dirIsFile = assertThrows(IllegalArgumentException.class,
                () -> AtomicFiles.checkFolderWritable(file, "--preview-dir"));
        assertTrue(dirIsFile.getMessage().contains("is a file"), dirIsFile.getMessage());
        AtomicFiles.checkWritable(dir.resolve("new/folder/out.png"), "--out"); // creatable: fine
        AtomicFiles.checkFolderWritable(dir.resolve("new/previews"), "--preview-dir");
    }
}

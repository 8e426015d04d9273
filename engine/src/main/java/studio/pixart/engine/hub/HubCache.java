package studio.pixart.engine.hub;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import studio.pixart.engine.io.AtomicFiles;

/**
 * The Hugging Face hub cache layout that diffusers, huggingface_hub and {@link
 * studio.pixart.engine.model.ModelLocator} share: {@code models--ORG--NAME/blobs/<etag>} holds each
 * file once (named by its LFS sha256, or git blob id for small files),
 * {@code snapshots/<commit>/<path>} are relative symlinks to the blobs, {@code refs/<revision>}
 * holds the commit a branch pointed at. Partial downloads are {@code blobs/<etag>.incomplete};
 * {@code .locks/models--ORG--NAME/<etag>.lock} keeps two processes off the same blob.
 */
public final class HubCache {
    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public static String folderName(String repoId) {
        return "models--" + repoId.replace("/", "--");
    }

    public Path repoDir(String repoId) {
        return root.resolve(folderName(repoId));
    }

    public Path blob(String repoId, String etag) {
        return repoDir(repoId).resolve("blobs").resolve(etag);
    }

    public Path incomplete(String repoId, String etag) {
        return repoDir(repoId).resolve("blobs").resolve(etag + ".incomplete");
    }

    public Path lockFile(String repoId, String etag) {
        return root.resolve(".locks").resolve(folderName(repoId)).resolve(etag + ".lock");
    }

    public Path snapshot(String repoId, String commit) {
        return repoDir(repoId).resolve("snapshots").resolve(commit);
    }

    public Path snapshotFile(String repoId, String commit, String repoPath) {
        Path p = snapshot(repoId, commit);
        for (String part : repoPath.split("/")) {
            p = p.resolve(part);
        }
        return p;
    }

    public Path ref(String repoId, String revision) {
        Path p = repoDir(repoId).resolve("refs");
        for (String part : revision.split("/")) {
            p = p.resolve(part);
        }
        return p;
    }

    /** The commit a revision pointed at when it was last downloaded, or null. */
    public String commitOf(String repoId, String revision) {
        if (revision.matches("[0-9a-f]{40}")) {
            return revision;
        }
        Path ref = ref(repoId, revision);
        try {
            return Files.isRegularFile(ref) ? Files.readString(ref).trim() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** True when the snapshot has this file and the blob behind it exists. */
    public boolean hasSnapshotFile(String repoId, String commit, String repoPath) {
        return Files.isRegularFile(snapshotFile(repoId, commit, repoPath));
    }

    /**
     * Points {@code snapshots/<commit>/<path>} at the blob with a relative symlink (the cache then
     * survives being moved); where symlinks are not allowed (Windows without developer mode) a hard
     * link, else a copy.
     */
    public void link(String repoId, String commit, String repoPath, String etag) throws IOException {
        Path target = snapshotFile(repoId, commit, repoPath);
        Path blob = blob(repoId, etag);
        Files.createDirectories(target.getParent());
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isSymbolicLink(target) && Files.exists(target) && Files.isSameFile(target, blob)) {
                return;
            }
            Files.delete(target);
        }
        Path relative = target.getParent().relativize(blob);
        try {
            Files.createSymbolicLink(target, relative);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | FileSystemException e) {
            try {
                Files.createLink(target, blob);
            } catch (UnsupportedOperationException | IOException noHardLink) {
                Files.copy(blob, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Records which commit a branch or tag points at (nothing for a commit id itself). */
    public void writeRef(String repoId, String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        AtomicFiles.writeString(ref(repoId, revision), commit);
    }
}

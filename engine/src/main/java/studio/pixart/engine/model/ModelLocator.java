package studio.pixart.engine.model;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import studio.pixart.engine.io.ConfigException;

/**
 * Turns what a user typed (a folder, or a hub model id such as
 * {@code PixArt-alpha/PixArt-Sigma-XL-2-1024-MS}) into a local folder. Model ids are looked up in
 * the Hugging Face hub cache that diffusers fills ({@code HF_HUB_CACHE}, else {@code HF_HOME/hub},
 * else {@code ~/.cache/huggingface/hub}); nothing is downloaded here.
 */
public final class ModelLocator {
    private final Map<String, String> env;

    public ModelLocator() {
        this(System.getenv());
    }

    public ModelLocator(Map<String, String> env) {
        this.env = env;
    }

    public Path hubCache() {
        String cache = env.get("HF_HUB_CACHE");
        if (cache != null && !cache.isBlank()) {
            return Paths.get(cache);
        }
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) {
            return Paths.get(home, "hub");
        }
        String userHome = env.getOrDefault("HOME", System.getProperty("user.home"));
        return Paths.get(userHome, ".cache", "huggingface", "hub");
    }

    public static boolean looksLikeModelId(String spec) {
        return spec.matches("[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*(@[A-Za-z0-9_.-]+)?");
    }

    /** A folder, or a model id resolved in the hub cache; a specific error otherwise. */
    public Path locate(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new ConfigException("no model given: pass a pipeline folder or a hub model id");
        }
        Path p = Paths.get(spec.startsWith("~/") ? System.getProperty("user.home") + spec.substring(1) : spec);
        if (Files.isDirectory(p)) {
            return p.toAbsolutePath().normalize();
        }
        if (Files.exists(p)) {
            throw new ConfigException(p, "is a file; a model is a pipeline folder (with model_index.json) or a hub model id");
        }
        if (!looksLikeModelId(spec)) {
            throw new ConfigException(p, "folder not found");
        }
        return locateInHub(spec);
    }

    private Path locateInHub(String spec) {
        String id = spec;
        String revision = "main";
        int at = spec.indexOf('@');
        if (at > 0) {
            id = spec.substring(0, at);
            revision = spec.substring(at + 1);
        }
        Path cache = hubCache();
        Path repo = cache.resolve("models--" + id.replace("/", "--"));
        if (!Files.isDirectory(repo)) {
            throw new ConfigException("model '" + id + "' is neither a folder nor in the Hugging Face cache ("
                    + cache + "); download it first (see README: Getting a model) or give the folder path");
        }
        Path snapshots = repo.resolve("snapshots");
        Path ref = repo.resolve("refs").resolve(revision);
        try {
            if (Files.isRegularFile(ref)) {
                String hash = Files.readString(ref).trim();
                Path snap = snapshots.resolve(hash);
                if (Files.isDirectory(snap)) {
                    return snap;
                }
                throw new ConfigException(ref, "points to snapshot " + hash + " which is not in " + snapshots);
            }
            Path direct = snapshots.resolve(revision);
            if (Files.isDirectory(direct)) {
                return direct;
            }
            List<Path> all = new ArrayList<>();
            if (Files.isDirectory(snapshots)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(snapshots)) {
                    ds.forEach(all::add);
                }
            }
            if (all.size() == 1) {
                return all.get(0);
            }
            throw new ConfigException(repo, "has no refs/" + revision + " and " + all.size()
                    + " snapshots; name the snapshot folder directly");
        } catch (IOException e) {
            throw new ConfigException(repo, "cannot read the hub cache: " + e.getMessage());
        }
    }

    /** Model ids of PixArt pipelines present in the hub cache, for the studio's model list. */
    public List<String> cachedModelIds() {
        List<String> ids = new ArrayList<>();
        Path cache = hubCache();
        if (!Files.isDirectory(cache)) {
            return ids;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(cache, "models--*")) {
            for (Path p : ds) {
                String id = p.getFileName().toString().substring("models--".length()).replaceFirst("--", "/");
                if (id.toLowerCase().contains("pixart")) {
                    ids.add(id);
                }
            }
        } catch (IOException e) {
            return ids;
        }
        ids.sort(String::compareTo);
        return ids;
    }
}

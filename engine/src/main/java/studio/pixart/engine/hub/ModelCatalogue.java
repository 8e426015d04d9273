package studio.pixart.engine.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import studio.pixart.engine.io.Json;

/**
 * The PixArt checkpoints a user can pick, read from {@code models/catalogue.json} (assets/ in the
 * source tree): repository, what each is good at, first size estimate, memory needed, licence.
 */
public final class ModelCatalogue {
    /**
     * One checkpoint.
     *
     * @param base          where missing components come from (transformer-only repos); may be null
     * @param sizeBytes     estimate of the repository's pipeline files
     * @param baseSizeBytes estimate of what the base adds when it is not in the cache yet (0: none)
     */
    public record Entry(String id, String name, String repo, String revision, String family, boolean transformerOnly,
                        String base, int resolution, String goodAt, long sizeBytes, long baseSizeBytes, int ramGb,
                        int vramGb, String license, String licenseUrl) {
        public DownloadRequest request(String variant) {
            return new DownloadRequest(repo, revision, variant, base);
        }

        public String describe() {
            return String.format(Locale.ROOT, "%-11s %-44s %8s  %2d GB RAM / %2d GB VRAM  %s", id, repo,
                    HubClient.describeSize(sizeBytes + baseSizeBytes), ramGb, vramGb, goodAt);
        }
    }

    private final List<Entry> entries;
    private final String defaultId;

    private ModelCatalogue(List<Entry> entries, String defaultId) {
        this.entries = entries;
        this.defaultId = defaultId;
    }

    public static ModelCatalogue load() {
        try (InputStream in = ModelCatalogue.class.getResourceAsStream("/models/catalogue.json")) {
            if (in == null) {
                throw new IllegalStateException("models/catalogue.json missing from the engine jar");
            }
            return parse(Json.MAPPER.readTree(in));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the model catalogue: " + e.getMessage(), e);
        }
    }

    static ModelCatalogue parse(JsonNode root) {
        List<Entry> list = new ArrayList<>();
        for (JsonNode m : root.path("models")) {
            list.add(new Entry(m.path("id").asText(), m.path("name").asText(), m.path("repo").asText(),
                    m.path("revision").asText("main"), m.path("family").asText(),
                    m.path("layout").asText().equals("transformer-only"),
                    m.path("base").isNull() || m.path("base").isMissingNode() ? null : m.path("base").asText(),
                    m.path("resolution").asInt(), m.path("good_at").asText(), m.path("size_bytes").asLong(),
                    m.path("base_size_bytes").asLong(0), m.path("ram_gb").asInt(), m.path("vram_gb").asInt(),
                    m.path("license").asText(), m.path("license_url").asText()));
        }
        return new ModelCatalogue(List.copyOf(list), root.path("default").asText(list.isEmpty() ? "" : list.get(0).id()));
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The first-start suggestion (PixArt-Σ 1024). */
    public Entry defaultEntry() {
        return find(defaultId);
    }

    /** By catalogue id ({@code sigma-1024}), repository id or name, case-insensitive; null if none. */
    public Entry find(String key) {
        for (Entry e : entries) {
            if (e.id().equalsIgnoreCase(key) || e.repo().equalsIgnoreCase(key) || e.name().equalsIgnoreCase(key)) {
                return e;
            }
        }
        return null;
    }
}

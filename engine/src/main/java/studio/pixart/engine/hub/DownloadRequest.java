package studio.pixart.engine.hub;

import studio.pixart.engine.model.ModelLocator;

/**
 * One model to bring into the cache.
 *
 * @param repoId    e.g. {@code PixArt-alpha/PixArt-Sigma-XL-2-1024-MS}
 * @param revision  branch, tag or commit ({@code main} by default)
 * @param variant   weight variant to prefer ({@code fp16}, {@code bf16}); null for full precision
 * @param baseRepoId where the text encoder, tokenizer, VAE and scheduler come from when the
 *                  repository has only a transformer; null: PixArt-Σ's shared base
 */
public record DownloadRequest(String repoId, String revision, String variant, String baseRepoId) {
    public DownloadRequest {
        if (repoId == null || !ModelLocator.looksLikeModelId(repoId) || repoId.contains("@")) {
            throw new IllegalArgumentException("'" + repoId + "' is not a hub model id (ORG/NAME)");
        }
        revision = revision == null || revision.isBlank() ? "main" : revision.trim();
        variant = variant == null || variant.isBlank() ? null : variant.trim();
        if (variant != null && !variant.matches("[A-Za-z0-9_]+")) {
            throw new IllegalArgumentException("--variant '" + variant + "' is not a variant name such as fp16 or bf16");
        }
        if (baseRepoId != null && (!ModelLocator.looksLikeModelId(baseRepoId) || baseRepoId.contains("@"))) {
            throw new IllegalArgumentException("base '" + baseRepoId + "' is not a hub model id (ORG/NAME)");
        }
    }

    public static DownloadRequest of(String repoId) {
        return new DownloadRequest(repoId, "main", null, null);
    }

    /** {@code ORG/NAME} or {@code ORG/NAME@rev}: the form ModelLocator resolves. */
    public String modelSpec() {
        return revision.equals("main") ? repoId : repoId + "@" + revision;
    }
}

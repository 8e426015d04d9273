package studio.pixart.engine.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import studio.pixart.engine.io.SafetensorsFile;
import studio.pixart.engine.io.SafetensorsWriter;
import studio.pixart.engine.model.PipelineFolder;

/**
 * Prompt embeddings on disk, keyed by the text encoder's identity (its folder and weight files'
 * sizes and dates), the pre-processed prompt and the token ids/mask (so the max length is part of
 * the key). Lets the pipeline run without T5 resident once a prompt has been seen. Entries are
 * written atomically; a damaged entry is ignored and rewritten.
 */
public final class EmbeddingCache {
    private final Path dir;

    public EmbeddingCache(Path dir) {
        this.dir = dir;
    }

    public static Path defaultDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("pixart-studio").resolve("embeddings");
    }

    public Path dir() {
        return dir;
    }

    String key(PipelineFolder folder, String variant, String prompt, long[] ids, long[] mask, int dim) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            if (!variant.isEmpty()) {
                md.update(("variant:" + variant + "\n").getBytes(StandardCharsets.UTF_8));
            }
            Path te = folder.component("text_encoder").toAbsolutePath();
            md.update(te.toString().getBytes(StandardCharsets.UTF_8));
            try (var s = Files.list(te)) {
                s.sorted().forEach(p -> {
                    try {
                        md.update((p.getFileName() + ":" + Files.size(p) + ":" + Files.getLastModifiedTime(p).toMillis())
                                .getBytes(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        md.update(p.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                    }
                });
            }
            md.update(prompt.getBytes(StandardCharsets.UTF_8));
            md.update(Arrays.toString(ids).getBytes(StandardCharsets.UTF_8));
            md.update(Arrays.toString(mask).getBytes(StandardCharsets.UTF_8));
            md.update(Integer.toString(dim).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The cached (length, dim) embedding, or null. */
    public float[] get(PipelineFolder folder, String prompt, long[] ids, long[] mask, int dim) {
        return get(folder, "", prompt, ids, mask, dim);
    }

    /** As above for a variant of the text encoder ("" = its own weights, "int8" = the 8-bit copy). */
    public float[] get(PipelineFolder folder, String variant, String prompt, long[] ids, long[] mask, int dim) {
        Path f = dir.resolve(key(folder, variant, prompt, ids, mask, dim) + ".safetensors");
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            if (!Arrays.equals(st.longs("input_ids"), ids)) {
                return null;
            }
            float[] e = st.floats("prompt_embeds");
            return e.length == ids.length * dim ? e : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    public void put(PipelineFolder folder, String prompt, long[] ids, long[] mask, int dim, float[] embeds) {
        put(folder, "", prompt, ids, mask, dim, embeds);
    }

    public void put(PipelineFolder folder, String variant, String prompt, long[] ids, long[] mask, int dim, float[] embeds) {
        Path f = dir.resolve(key(folder, variant, prompt, ids, mask, dim) + ".safetensors");
        try {
            new SafetensorsWriter()
                    .putLongs("input_ids", new long[] {ids.length}, ids)
                    .putLongs("attention_mask", new long[] {mask.length}, mask)
                    .putFloats("prompt_embeds", new long[] {ids.length, dim}, embeds)
                    .write(f);
        } catch (IOException e) {
            // A cache that cannot be written only costs speed.
        }
    }
}

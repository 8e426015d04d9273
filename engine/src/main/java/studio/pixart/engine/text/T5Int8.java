package studio.pixart.engine.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import com.fasterxml.jackson.databind.JsonNode;
import studio.pixart.engine.io.AtomicFiles;
import studio.pixart.engine.io.Checkpoint;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.io.SafetensorsWriter;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.nd.Torch;

/**
 * An 8-bit copy of a T5 encoder (opt-in; it changes the embeddings slightly, so pixels): every
 * linear weight and the embedding table as int8 with one float32 scale per output row
 * ({@code scale = max|row| / 127}, {@code q = round(w / scale)}; weight-only, symmetric), norms
 * and the relative-position table kept in float32. It is converted once from the model's shards
 * into the app's cache and is then an ordinary sharded safetensors folder that {@link T5Encoder}
 * loads like any other: {@link Checkpoint#load} dequantizes one block at a time, and the prompt's
 * embedding rows are dequantized straight from the mapped table.
 *
 * <p>The conversion is resumable and atomic: one file per block (plus one for the table and the
 * small tensors), each written through a temp file and move with its SHA-256 beside it; a file
 * whose bytes match its checksum is kept by the next run. The folder counts as converted only when
 * {@value #MANIFEST} (every file with its size and checksum, and the source it was made from) is
 * written, last, after every file was re-read and its checksum verified. The cache folder's name is
 * a hash of the source (config and each shard's name, size and header), so a changed model gets a
 * new conversion.
 */
public final class T5Int8 {
    public static final String MANIFEST = "int8-manifest.json";
    private static final int FORMAT = 1;

    private T5Int8() {}

    /** Default cache: {@code $XDG_CACHE_HOME/pixart-studio/t5-int8} (else {@code ~/.cache/...}). */
    public static Path defaultCacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("pixart-studio").resolve("t5-int8");
    }

    /** The converted folder for {@code textEncoderDir} under {@code cacheRoot}, converting it first if needed. */
    public static Path ensure(Path textEncoderDir, Path cacheRoot, Consumer<String> progress) {
        String key = sourceKey(textEncoderDir);
        Path out = cacheRoot.resolve(key);
        if (isComplete(out, key)) {
            return out;
        }
        try {
            convert(textEncoderDir, out, key, progress == null ? s -> { } : progress);
        } catch (IOException e) {
            throw new ConfigException(out, "cannot write the 8-bit T5 cache: " + e.getMessage());
        }
        return out;
    }

    /** True when the manifest exists, names this source and every file it lists has its size. */
    static boolean isComplete(Path dir, String key) {
        Path m = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(m)) {
            return false;
        }
        try {
            JsonNode j = Json.read(m);
            if (j.path("format").asInt() != FORMAT || !key.equals(j.path("source").asText())) {
                return false;
            }
            for (JsonNode f : j.path("files")) {
                Path p = dir.resolve(f.path("name").asText());
                if (!Files.isRegularFile(p) || Files.size(p) != f.path("bytes").asLong()) {
                    return false;
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Re-reads every file of a converted folder and compares it with the manifest's checksums; the first mismatch is reported. */
    public static void verify(Path dir) {
        JsonNode j = Json.read(dir.resolve(MANIFEST));
        for (JsonNode f : j.path("files")) {
            Path p = dir.resolve(f.path("name").asText());
            String have = sha256(p);
            if (!have.equals(f.path("sha256").asText())) {
                throw new ConfigException(p, "checksum mismatch: the 8-bit T5 cache is damaged (delete " + dir + " to convert again)");
            }
        }
    }

    /** A hash of what the conversion reads: the config and each weight file's name, size and header. */
    static String sourceKey(Path textEncoderDir) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(("t5-int8-v" + FORMAT).getBytes(StandardCharsets.UTF_8));
            md.update(Files.readAllBytes(textEncoderDir.resolve("config.json")));
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(textEncoderDir, "*.safetensors")) {
                ds.forEach(files::add);
            }
            files.sort(null);
            for (Path f : files) {
                md.update((f.getFileName() + ":" + Files.size(f)).getBytes(StandardCharsets.UTF_8));
                try (InputStream in = Files.newInputStream(f)) {
                    byte[] len = in.readNBytes(8);
                    long n = len.length == 8 ? ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong() : 0;
                    md.update(len);
                    md.update(in.readNBytes((int) Math.min(Math.max(n, 0), 100L << 20)));
                }
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 20);
        } catch (IOException e) {
            throw new ConfigException(textEncoderDir, "cannot read the text encoder to convert it: " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void convert(Path src, Path out, String key, Consumer<String> progress) throws IOException {
        T5Config c = T5Config.load(src);
        Files.createDirectories(out);
        Files.deleteIfExists(out.resolve(MANIFEST));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(out, ".*.part")) {
            for (Path p : ds) {
                Files.deleteIfExists(p); // temp files of an interrupted run
            }
        }
        Torch.prepareThread();
        Map<String, String> weightMap = new TreeMap<>();
        List<Map<String, Object>> files = new ArrayList<>();
        try (Checkpoint ck = Checkpoint.open(src)) {
            ck.alias(T5Encoder.SHARED, T5Encoder.EMBED_TOKENS).alias(T5Encoder.EMBED_TOKENS, T5Encoder.SHARED);
            List<String> head = List.of(T5Encoder.SHARED, T5Encoder.RELATIVE_BIAS, T5Encoder.FINAL_NORM);
            files.add(part(ck, out, "embedding.safetensors", head, weightMap, progress));
            for (int i = 0; i < c.numLayers(); i++) {
                files.add(part(ck, out, String.format("block-%02d.safetensors", i), List.of(T5Encoder.blockNames(i)), weightMap, progress));
            }
        }
        Files.copy(src.resolve("config.json"), out.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("quantization", "int8 weight-only, one float32 scale per output row"));
        index.put("weight_map", weightMap);
        AtomicFiles.writeString(out.resolve("model.safetensors.index.json"), Json.write(index));
        progress.accept("verifying checksums");
        for (Map<String, Object> f : files) {
            Path p = out.resolve((String) f.get("name"));
            if (!sha256(p).equals(f.get("sha256"))) {
                throw new IOException(p + " does not match the checksum of what was written (disk error?)");
            }
        }
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format", FORMAT);
        manifest.put("source", key);
        manifest.put("source_dir", src.toAbsolutePath().toString());
        manifest.put("files", files);
        AtomicFiles.writeString(out.resolve(MANIFEST), Json.write(manifest));
    }

    /** One output file: kept when its bytes still match the checksum written beside it, else written. */
    private static Map<String, Object> part(Checkpoint ck, Path out, String name, List<String> tensors,
                                            Map<String, String> weightMap, Consumer<String> progress) throws IOException {
        Path file = out.resolve(name);
        Path sum = out.resolve(name + ".sha256");
        for (String t : tensors) {
            weightMap.put(t, name);
            if (quantized(t)) {
                weightMap.put(Checkpoint.scaleName(t), name);
            }
        }
        if (Files.isRegularFile(file) && Files.isRegularFile(sum) && Files.readString(sum).trim().equals(sha256(file))) {
            return entry(name, Files.size(file), Files.readString(sum).trim());
        }
        progress.accept("converting " + name + " to int8");
        SafetensorsWriter w = new SafetensorsWriter();
        try (NDManager m = Torch.newManager()) {
            for (String t : tensors) {
                try (NDManager tm = m.newSubManager()) {
                    NDArray x = ck.load(t, tm, DataType.FLOAT32);
                    long[] shape = x.getShape().getShape();
                    if (!quantized(t)) {
                        w.putFloats(t, shape, x.toFloatArray());
                        continue;
                    }
                    Quantized q = quantize(x);
                    w.putRaw(t, TensorDType.I8, shape, q.values());
                    w.putFloats(Checkpoint.scaleName(t), new long[] {shape[0]}, q.scales());
                }
            }
        }
        w.write(file);
        String hash = sha256(file);
        AtomicFiles.writeString(sum, hash + "\n");
        return entry(name, Files.size(file), hash);
    }

    private static Map<String, Object> entry(String name, long bytes, String sha) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", name);
        e.put("bytes", bytes);
        e.put("sha256", sha);
        return e;
    }

    /** Matrices (linear weights and the embedding table) are quantized; norms and the position table are not. */
    static boolean quantized(String name) {
        return !name.endsWith("layer_norm.weight") && !name.endsWith("relative_attention_bias.weight");
    }

    /** int8 values and per-row scales of a 2-D float32 tensor. */
    record Quantized(byte[] values, float[] scales) {}

    /** Symmetric per-row quantization: scale = max|row| / 127 (1 for an all-zero row), q = round(w / scale). */
    static Quantized quantize(NDArray w) {
        long rows = w.getShape().get(0);
        NDArray absMax = w.abs().max(new int[] {1});
        float[] scales = absMax.toFloatArray();
        for (int i = 0; i < scales.length; i++) {
            scales[i] = scales[i] > 0 ? scales[i] / 127f : 1f;
        }
        NDArray s = w.getManager().create(scales).reshape(rows, 1);
        byte[] q = w.div(s).round().clip(-127, 127).toType(DataType.INT8, false).toByteArray();
        return new Quantized(q, scales);
    }

    static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 20];
            while (in.read(buf) >= 0) {
                // digesting
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new ConfigException(file, "cannot read: " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

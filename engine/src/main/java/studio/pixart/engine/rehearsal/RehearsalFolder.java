package studio.pixart.engine.rehearsal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import studio.pixart.engine.io.AtomicFiles;
import studio.pixart.engine.io.Checkpoint;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.io.SafetensorsException;
import studio.pixart.engine.io.SafetensorsFile;
import studio.pixart.engine.io.SafetensorsWriter;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.text.T5Config;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.vae.RandomVae;
import studio.pixart.engine.vae.VaeConfig;

/**
 * Writes, once, a PixArt-Σ pipeline folder of a given {@link RehearsalLayout} with seeded random
 * weights: T5 encoder in sharded safetensors with {@code model.safetensors.index.json} (bfloat16 as
 * published, or float32), transformer in float16, VAE in float32, the tests' tokenizer and the
 * reference scheduler config. The parameter lists are written here from the published diffusers /
 * transformers layouts, independently of the loaders (which then check every shape).
 *
 * <p>Every tensor is produced while its file is written (chunks of a few MB), so a 9.5 GB text
 * encoder never sits in memory. Every file is written atomically (temp file + move) and the folder
 * counts as complete only when {@value #MARKER}, written last, says so for the same layout: an
 * interrupted run leaves complete files (kept on the next run) and temp files (deleted), never a
 * folder that looks finished.
 */
public final class RehearsalFolder {
    /** Written last; its presence with the same description means the folder is complete. */
    public static final String MARKER = "rehearsal.json";

    /** Elements generated per chunk (32 MB of float32). */
    private static final int CHUNK = 8 << 20;

    private RehearsalFolder() {}

    /** dtype of the T5 shards. */
    public enum T5Shards {
        BF16(TensorDType.BF16), F32(TensorDType.F32);

        final TensorDType dtype;

        T5Shards(TensorDType dtype) {
            this.dtype = dtype;
        }
    }

    /**
     * The pipeline folder for {@code layout} under {@code root} with T5 in {@code shards}, written if
     * it is not complete yet. A float32-T5 folder shares (hard-links) the other components with the
     * bfloat16 one.
     */
    public static Path ensure(Path root, RehearsalLayout layout, T5Shards shards, long seed, Consumer<String> progress)
            throws IOException {
        Path dir = root.resolve(layout.name() + (shards == T5Shards.BF16 ? "" : "-t5-" + shards.name().toLowerCase()));
        String want = describe(layout, shards, seed);
        Path marker = dir.resolve(MARKER);
        if (Files.isRegularFile(marker)) {
            if (Json.read(marker).equals(Json.MAPPER.readTree(want))) {
                return dir;
            }
            // complete, but for another seed or format: start over rather than mix weights
            deleteTree(dir);
        }
        Files.createDirectories(dir);
        Path base = null;
        if (shards == T5Shards.BF16) {
            writeShared(dir, layout, seed, progress);
        } else {
            base = ensure(root, layout, T5Shards.BF16, seed, progress);
            for (String c : new String[] {"transformer", "vae", "tokenizer", "scheduler"}) {
                linkTree(base.resolve(c), dir.resolve(c));
            }
            Files.copy(base.resolve("model_index.json"), dir.resolve("model_index.json"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        writeT5(dir.resolve("text_encoder"), layout.t5(), shards, layout.shardsFor(shards), seed,
                base == null ? null : base.resolve("text_encoder"), progress);
        AtomicFiles.writeString(marker, want);
        return dir;
    }

    /** What the marker records; a different layout, dtype or seed means a different folder content. */
    static String describe(RehearsalLayout layout, T5Shards shards, long seed) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("format", 1);
        d.put("layout", layout.name());
        d.put("t5_shards", shards.name());
        d.put("seed", seed);
        d.put("t5_parameters", t5Parameters(layout.t5()));
        d.put("transformer_parameters", transformerParameters(layout.transformer()));
        d.put("complete", true);
        return Json.write(d);
    }

    private static void writeShared(Path dir, RehearsalLayout layout, long seed, Consumer<String> progress) throws IOException {
        AtomicFiles.writeString(dir.resolve("model_index.json"), resource("model_index.json"));
        Files.createDirectories(dir.resolve("scheduler"));
        AtomicFiles.writeString(dir.resolve("scheduler/scheduler_config.json"), resource("scheduler_config.json"));
        for (String f : new String[] {"spiece.model", "tokenizer_config.json", "special_tokens_map.json"}) {
            byte[] b = resourceBytes("tokenizer/" + f);
            AtomicFiles.write(dir.resolve("tokenizer").resolve(f), out -> out.write(b));
        }
        Path tr = dir.resolve("transformer");
        Path trFile = tr.resolve("diffusion_pytorch_model.safetensors");
        Map<String, long[]> trTensors = transformerTensors(layout.transformer());
        if (!complete(trFile, trTensors.keySet())) {
            cleanTemp(tr);
            progress.accept("writing transformer (" + gb(transformerParameters(layout.transformer()) * 2) + " float16)");
            SafetensorsWriter w = new SafetensorsWriter();
            long s = seed * 31 + 1;
            for (Map.Entry<String, long[]> e : trTensors.entrySet()) {
                long[] shape = e.getValue();
                String n = e.getKey();
                boolean matrix = shape.length >= 2;
                // matrices randn/sqrt(fan_in); biases, modulation tables 0.2·randn (the goldens' recipe)
                double std = matrix ? 1 / Math.sqrt(fanIn(shape)) : 0.2;
                w.putStreamed(n, TensorDType.F16, shape, randomBytes(TensorDType.F16, shape, 0, std, s++));
            }
            w.write(trFile);
        }
        AtomicFiles.writeString(tr.resolve("config.json"), transformerConfigJson(layout.transformer()));
        Path vae = dir.resolve("vae");
        if (!Files.isRegularFile(vae.resolve("diffusion_pytorch_model.safetensors")) || !Files.isRegularFile(vae.resolve("config.json"))) {
            cleanTemp(vae);
            progress.accept("writing VAE (float32)");
            RandomVae.write(vae, layout.vae(), seed * 31 + 2);
        }
    }

    /**
     * T5's shards. With {@code widenFrom} (the bfloat16 folder's text_encoder) the float32 shards
     * hold exactly the same values, widened: the two folders are the same model in two file dtypes.
     */
    private static void writeT5(Path dir, T5Config c, T5Shards shards, int shardCount, long seed, Path widenFrom,
                                Consumer<String> progress) throws IOException {
        Files.createDirectories(dir);
        cleanTemp(dir);
        AtomicFiles.writeString(dir.resolve("config.json"), t5ConfigJson(c, shards));
        Map<String, long[]> all = t5Tensors(c);
        long bytes = t5Parameters(c) * shards.dtype.bytes;
        // Split in order into shards of about equal size, as save_pretrained's max_shard_size does.
        List<Map<String, long[]>> parts = new ArrayList<>();
        long perShard = (bytes + shardCount - 1) / shardCount;
        Map<String, long[]> cur = new LinkedHashMap<>();
        long curBytes = 0;
        for (Map.Entry<String, long[]> e : all.entrySet()) {
            long b = elements(e.getValue()) * shards.dtype.bytes;
            if (curBytes > 0 && curBytes + b > perShard && parts.size() < shardCount - 1) {
                parts.add(cur);
                cur = new LinkedHashMap<>();
                curBytes = 0;
            }
            cur.put(e.getKey(), e.getValue());
            curBytes += b;
        }
        parts.add(cur);
        int n = parts.size();
        Map<String, Object> weightMap = new TreeMap<>();
        long s = seed * 31 + 100;
        try (Checkpoint source = widenFrom == null ? null : Checkpoint.open(widenFrom)) {
        for (int i = 0; i < n; i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, n);
            Map<String, long[]> part = parts.get(i);
            part.keySet().forEach(k -> weightMap.put(k, file));
            Path f = dir.resolve(file);
            if (complete(f, part.keySet())) {
                s += part.size();
                continue;
            }
            SafetensorsWriter w = new SafetensorsWriter();
            for (Map.Entry<String, long[]> e : part.entrySet()) {
                w.putStreamed(e.getKey(), shards.dtype, e.getValue(), source != null ? widened(source, e.getKey())
                        : t5Init(c, e.getKey(), e.getValue(), shards.dtype, s));
                s++;
            }
            progress.accept("writing text_encoder/" + file + " (" + gb(w.dataBytes()) + ")");
            w.write(f);
        }
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", bytes));
        index.put("weight_map", weightMap);
        AtomicFiles.writeString(dir.resolve("model.safetensors.index.json"), Json.write(index));
    }

    /** A bfloat16 tensor of {@code source} as float32 bytes, widened chunk by chunk. */
    private static SafetensorsWriter.TensorBytes widened(Checkpoint source, String name) {
        return out -> {
            java.nio.ByteBuffer raw = source.raw(name);
            int count = raw.capacity() / 2;
            java.nio.ByteBuffer dst = java.nio.ByteBuffer.allocateDirect(4 * Math.min(count, CHUNK));
            byte[] buf = new byte[dst.capacity()];
            for (int done = 0; done < count; done += CHUNK) {
                int n = Math.min(CHUNK, count - done);
                Checkpoint.widenBf16Bits(raw.slice(2 * done, 2 * n), dst, n);
                dst.get(0, buf, 0, 4 * n);
                out.write(buf, 0, 4 * n);
            }
        };
    }

    /** T5's recipe for the benchmarks: table randn, linears randn/sqrt(fan_in), norm gains 1 + 0.2·randn, position bias randn. */
    private static SafetensorsWriter.TensorBytes t5Init(T5Config c, String name, long[] shape, TensorDType dtype, long seed) {
        if (name.endsWith("layer_norm.weight")) {
            return randomBytes(dtype, shape, 1, 0.2, seed);
        }
        if (name.equals("shared.weight") || name.endsWith("relative_attention_bias.weight")) {
            return randomBytes(dtype, shape, 0, 1, seed);
        }
        return randomBytes(dtype, shape, 0, 1 / Math.sqrt(shape[1]), seed);
    }

    /**
     * mean + std·randn from libtorch's generator (seeded per tensor, so a tensor's values do not
     * depend on what was written before it), in chunks, converted to the file's dtype.
     */
    static SafetensorsWriter.TensorBytes randomBytes(TensorDType dtype, long[] shape, double mean, double std, long seed) {
        long count = elements(shape);
        return out -> {
            Torch.prepareThread();
            Torch.seed(seed);
            byte[] buf = null;
            try (NDManager m = Torch.newManager()) {
                for (long done = 0; done < count; done += CHUNK) {
                    int n = (int) Math.min(CHUNK, count - done);
                    try (NDManager chunk = m.newSubManager()) {
                        NDArray r = chunk.randomNormal(new Shape(n)).mul((float) std).add((float) mean);
                        switch (dtype) {
                            case F32 -> out.write(r.toByteArray());
                            case F16 -> out.write(r.toType(DataType.FLOAT16, false).toByteArray());
                            case BF16 -> {
                                if (buf == null || buf.length < 2 * n) {
                                    buf = new byte[2 * n];
                                }
                                narrowToBf16(r.toFloatArray(), buf);
                                out.write(buf, 0, 2 * n);
                            }
                            default -> throw new IllegalArgumentException("random " + dtype + " weights are not supported");
                        }
                    }
                }
            }
        };
    }

    /** float32 → bfloat16 little-endian bytes, rounding to nearest even (as torch's .to(bfloat16)). */
    static void narrowToBf16(float[] v, byte[] out) {
        for (int i = 0; i < v.length; i++) {
            int bits = Float.floatToRawIntBits(v[i]);
            int rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
            out[2 * i] = (byte) rounded;
            out[2 * i + 1] = (byte) (rounded >>> 8);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Parameter lists (published layouts)

    /** transformers' T5EncoderModel state dict (the tied table saved once, as shared.weight). */
    static Map<String, long[]> t5Tensors(T5Config c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = c.dModel();
        long inner = c.innerDim();
        m.put("shared.weight", new long[] {c.vocabSize(), d});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "encoder.block." + i + ".layer.";
            m.put(p + "0.SelfAttention.q.weight", new long[] {inner, d});
            m.put(p + "0.SelfAttention.k.weight", new long[] {inner, d});
            m.put(p + "0.SelfAttention.v.weight", new long[] {inner, d});
            m.put(p + "0.SelfAttention.o.weight", new long[] {d, inner});
            if (i == 0) {
                m.put(p + "0.SelfAttention.relative_attention_bias.weight", new long[] {c.numBuckets(), c.numHeads()});
            }
            m.put(p + "0.layer_norm.weight", new long[] {d});
            m.put(p + "1.DenseReluDense.wi_0.weight", new long[] {c.dFf(), d});
            m.put(p + "1.DenseReluDense.wi_1.weight", new long[] {c.dFf(), d});
            m.put(p + "1.DenseReluDense.wo.weight", new long[] {d, c.dFf()});
            m.put(p + "1.layer_norm.weight", new long[] {d});
        }
        m.put("encoder.final_layer_norm.weight", new long[] {d});
        return m;
    }

    /** diffusers' PixArtTransformer2DModel state dict (no micro-conditions, as PixArt-Σ). */
    static Map<String, long[]> transformerTensors(TransformerConfig c) {
        Map<String, long[]> m = new TreeMap<>();
        long d = c.innerDim();
        int p = c.patchSize();
        m.put("pos_embed.proj.weight", new long[] {d, c.inChannels(), p, p});
        m.put("pos_embed.proj.bias", new long[] {d});
        linear(m, "adaln_single.emb.timestep_embedder.linear_1", 256, d);
        linear(m, "adaln_single.emb.timestep_embedder.linear_2", d, d);
        if (c.useAdditionalConditions()) {
            linear(m, "adaln_single.emb.resolution_embedder.linear_1", 256, d / 3);
            linear(m, "adaln_single.emb.resolution_embedder.linear_2", d / 3, d / 3);
            linear(m, "adaln_single.emb.aspect_ratio_embedder.linear_1", 256, d / 3);
            linear(m, "adaln_single.emb.aspect_ratio_embedder.linear_2", d / 3, d / 3);
        }
        linear(m, "adaln_single.linear", d, 6 * d);
        linear(m, "caption_projection.linear_1", c.captionChannels(), d);
        linear(m, "caption_projection.linear_2", d, d);
        for (int i = 0; i < c.numLayers(); i++) {
            String b = "transformer_blocks." + i + ".";
            m.put(b + "scale_shift_table", new long[] {6, d});
            for (String a : new String[] {"attn1.", "attn2."}) {
                for (String s : new String[] {"to_q", "to_k", "to_v", "to_out.0"}) {
                    linear(m, b + a + s, d, d);
                }
            }
            linear(m, b + "ff.net.0.proj", d, 4 * d);
            linear(m, b + "ff.net.2", 4 * d, d);
        }
        m.put("scale_shift_table", new long[] {2, d});
        linear(m, "proj_out", d, (long) p * p * c.outChannels());
        return m;
    }

    private static void linear(Map<String, long[]> m, String name, long in, long out) {
        m.put(name + ".weight", new long[] {out, in});
        m.put(name + ".bias", new long[] {out});
    }

    public static long t5Parameters(T5Config c) {
        return t5Tensors(c).values().stream().mapToLong(RehearsalFolder::elements).sum();
    }

    public static long transformerParameters(TransformerConfig c) {
        return transformerTensors(c).values().stream().mapToLong(RehearsalFolder::elements).sum();
    }

    static String t5ConfigJson(T5Config c, T5Shards shards) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("architectures", List.of("T5EncoderModel"));
        j.put("d_ff", c.dFf());
        j.put("d_kv", c.dKv());
        j.put("d_model", c.dModel());
        j.put("dense_act_fn", "gelu_new");
        j.put("eos_token_id", 1);
        j.put("feed_forward_proj", "gated-gelu");
        j.put("is_encoder_decoder", true);
        j.put("is_gated_act", true);
        j.put("layer_norm_epsilon", c.layerNormEps());
        j.put("model_type", "t5");
        j.put("num_decoder_layers", c.numLayers());
        j.put("num_heads", c.numHeads());
        j.put("num_layers", c.numLayers());
        j.put("pad_token_id", 0);
        j.put("relative_attention_max_distance", c.maxDistance());
        j.put("relative_attention_num_buckets", c.numBuckets());
        j.put("tie_word_embeddings", false);
        j.put("torch_dtype", shards == T5Shards.BF16 ? "bfloat16" : "float32");
        j.put("vocab_size", c.vocabSize());
        return Json.write(j);
    }

    static String transformerConfigJson(TransformerConfig c) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("_class_name", "PixArtTransformer2DModel");
        j.put("activation_fn", "gelu-approximate");
        j.put("attention_bias", c.attentionBias());
        j.put("attention_head_dim", c.headDim());
        j.put("attention_type", "default");
        j.put("caption_channels", c.captionChannels());
        j.put("cross_attention_dim", c.crossAttentionDim());
        j.put("in_channels", c.inChannels());
        j.put("interpolation_scale", c.interpolationScale());
        j.put("norm_elementwise_affine", false);
        j.put("norm_eps", c.normEps());
        j.put("norm_type", "ada_norm_single");
        j.put("num_attention_heads", c.numHeads());
        j.put("num_embeds_ada_norm", 1000);
        j.put("num_layers", c.numLayers());
        j.put("out_channels", c.outChannels());
        j.put("patch_size", c.patchSize());
        j.put("sample_size", c.sampleSize());
        j.put("use_additional_conditions", c.useAdditionalConditions());
        return Json.write(j);
    }

    // ------------------------------------------------------------------------------------------
    // Files

    /** A file written by an earlier run is kept when it is a valid safetensors file with exactly these tensors. */
    private static boolean complete(Path f, java.util.Set<String> names) {
        if (!Files.isRegularFile(f)) {
            return false;
        }
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            return sf.tensors().keySet().equals(names);
        } catch (SafetensorsException e) {
            return false;
        }
    }

    /** Deletes temp files ({@code .NAME.*.part}) an interrupted write left behind. */
    private static void cleanTemp(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, ".*.part")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void linkTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(from)) {
            for (Path p : ds) {
                Path target = to.resolve(p.getFileName());
                Files.deleteIfExists(target);
                try {
                    Files.createLink(target, p);
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static String resource(String name) {
        return new String(resourceBytes(name), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static byte[] resourceBytes(String name) {
        if (name.equals("model_index.json")) {
            return ("{\n  \"_class_name\": \"PixArtSigmaPipeline\",\n  \"scheduler\": [\"diffusers\", \"DPMSolverMultistepScheduler\"],\n"
                    + "  \"text_encoder\": [\"transformers\", \"T5EncoderModel\"],\n  \"tokenizer\": [\"transformers\", \"T5Tokenizer\"],\n"
                    + "  \"transformer\": [\"diffusers\", \"PixArtTransformer2DModel\"],\n  \"vae\": [\"diffusers\", \"AutoencoderKL\"]\n}\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        try (InputStream in = RehearsalFolder.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the engine jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static long fanIn(long[] shape) {
        long f = 1;
        for (int i = 1; i < shape.length; i++) {
            f *= shape[i];
        }
        return f;
    }

    static String gb(long bytes) {
        return String.format("%.2f GB", bytes / 1e9);
    }

    /** Parameter count of a component folder as the engine reads it (for the report). */
    public static long parameters(Path componentDir) {
        try (Checkpoint ck = Checkpoint.open(componentDir)) {
            return ck.parameterCount();
        }
    }
}

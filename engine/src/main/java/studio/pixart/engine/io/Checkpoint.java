package studio.pixart.engine.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import studio.pixart.engine.nd.Torch;

/**
 * The weights of one model component: a single .safetensors file or a sharded set described by a
 * {@code *.safetensors.index.json}. Every shard is opened and validated up front, so a missing or
 * truncated shard is reported before any computation. Tied names (e.g. T5's
 * {@code shared.weight} / {@code encoder.embed_tokens.weight}) are declared with {@link #alias}.
 */
public final class Checkpoint implements AutoCloseable {
    private final Path location;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
    private final Map<String, String> aliases = new HashMap<>();

    private Checkpoint(Path location, List<SafetensorsFile> files) {
        this.location = location;
        this.files = files;
        for (SafetensorsFile f : files) {
            for (String n : f.tensors().keySet()) {
                owner.put(n, f);
            }
        }
    }

    /** A sharded checkpoint: each tensor is read from the shard the index's weight_map names. */
    private Checkpoint(Path location, List<SafetensorsFile> files, Map<String, SafetensorsFile> byName) {
        this.location = location;
        this.files = files;
        owner.putAll(byName);
    }

    /** Opens a .safetensors file, an index json, or a component folder holding either. */
    public static Checkpoint open(Path path) {
        if (Files.isDirectory(path)) {
            return openFolder(path);
        }
        if (path.getFileName().toString().endsWith(".index.json")) {
            return openIndex(path);
        }
        return new Checkpoint(path, List.of(SafetensorsFile.open(path)));
    }

    private static Checkpoint openFolder(Path dir) {
        List<Path> index = new ArrayList<>();
        List<Path> single = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                // diffusers names a variant's index model.safetensors.index.fp16.json
                if (n.endsWith(".safetensors.index.json") || n.matches(".*\\.safetensors\\.index\\.[A-Za-z0-9_]+\\.json")) {
                    index.add(p);
                } else if (n.endsWith(".safetensors")) {
                    single.add(p);
                }
            }
        } catch (IOException e) {
            throw new ConfigException(dir, "cannot list folder: " + e.getMessage());
        }
        Collections.sort(index);
        Collections.sort(single);
        // Prefer the full-precision file when a folder also holds .fp16 variants.
        if (!index.isEmpty()) {
            return openIndex(preferNonVariant(index));
        }
        if (single.isEmpty()) {
            throw new ConfigException(dir, "no .safetensors weights found (expected e.g. "
                    + "diffusion_pytorch_model.safetensors or model.safetensors)");
        }
        List<Path> plain = single.stream().filter(p -> !p.getFileName().toString().matches(".*-\\d{5}-of-\\d{5}\\.safetensors")).toList();
        if (plain.isEmpty()) {
            throw new ConfigException(dir, "found shard files but no *.safetensors.index.json describing them");
        }
        return new Checkpoint(preferNonVariant(plain), List.of(SafetensorsFile.open(preferNonVariant(plain))));
    }

    private static Path preferNonVariant(List<Path> paths) {
        for (Path p : paths) {
            String n = p.getFileName().toString();
            if (!n.contains(".fp16.") && !n.contains(".bf16.")) {
                return p;
            }
        }
        return paths.get(0);
    }

    private static Checkpoint openIndex(Path indexFile) {
        JsonNode idx = Json.read(indexFile);
        JsonNode map = idx.get("weight_map");
        if (map == null || !map.isObject() || map.size() == 0) {
            throw new ConfigException(indexFile, "index has no weight_map");
        }
        Path dir = indexFile.toAbsolutePath().getParent();
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        map.fields().forEachRemaining(e -> byShard.computeIfAbsent(e.getValue().asText(), k -> new ArrayList<>()).add(e.getKey()));
        List<SafetensorsFile> opened = new ArrayList<>();
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
                Path shard = dir.resolve(e.getKey()).normalize();
                if (!shard.startsWith(dir) || e.getKey().isBlank()) {
                    throw new SafetensorsException(indexFile, e.getValue().get(0),
                            "weight_map names shard '" + e.getKey() + "', which is not a file in " + dir);
                }
                if (!Files.isRegularFile(shard)) {
                    throw new SafetensorsException(shard, e.getValue().get(0),
                            "shard listed in " + indexFile.getFileName() + " is missing (" + e.getValue().size() + " tensors)");
                }
                SafetensorsFile f = SafetensorsFile.open(shard);
                opened.add(f);
                for (String t : e.getValue()) {
                    if (!f.contains(t)) {
                        throw new SafetensorsException(shard, t, "index says the tensor is in this shard, but it is not");
                    }
                    byName.put(t, f);
                }
            }
            // Every tensor is in exactly one shard, the one the index names: a tensor in two shards
            // (the engine would otherwise read whichever came last) or in none of the index's
            // entries is an error naming the files.
            Map<String, SafetensorsFile> seen = new HashMap<>();
            for (SafetensorsFile f : opened) {
                for (String t : f.tensors().keySet()) {
                    SafetensorsFile other = seen.putIfAbsent(t, f);
                    if (other != null) {
                        throw new SafetensorsException(f.path(), t, "is stored in two shards, " + other.path().getFileName()
                                + " and " + f.path().getFileName() + " (" + indexFile.getFileName() + " lists it in "
                                + byName.get(t).path().getFileName() + "); a checkpoint holds each tensor once");
                    }
                    if (!byName.containsKey(t)) {
                        throw new SafetensorsException(f.path(), t, "is in shard " + f.path().getFileName()
                                + " but not listed in " + indexFile.getFileName() + "'s weight_map");
                    }
                }
            }
        } catch (RuntimeException ex) {
            opened.forEach(SafetensorsFile::close);
            throw ex;
        }
        return new Checkpoint(indexFile, opened, byName);
    }

    /** Makes {@code name} resolve to {@code target} when the checkpoint lacks {@code name}. */
    public Checkpoint alias(String name, String target) {
        aliases.put(name, target);
        return this;
    }

    public Path location() {
        return location;
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(owner.keySet()));
    }

    public boolean contains(String name) {
        return resolve(name) != null;
    }

    private String resolve(String name) {
        if (owner.containsKey(name)) {
            return name;
        }
        String a = aliases.get(name);
        return a != null && owner.containsKey(a) ? a : null;
    }

    public TensorInfo info(String name) {
        String r = resolve(name);
        if (r == null) {
            throw new SafetensorsException(location, name, "missing from the checkpoint");
        }
        return owner.get(r).info(r);
    }

    public long[] shape(String name) {
        return info(name).shape();
    }

    /** Fails with a specific message when the tensor's shape differs from what the config implies. */
    public void expectShape(String name, long... expected) {
        long[] s = shape(name);
        if (!java.util.Arrays.equals(s, expected)) {
            throw new SafetensorsException(owner.get(resolve(name)).path(), name, "has shape "
                    + java.util.Arrays.toString(s) + " but the config implies " + java.util.Arrays.toString(expected));
        }
    }

    public float[] floats(String name) {
        String r = resolve(name);
        if (r == null) {
            throw new SafetensorsException(location, name, "missing from the checkpoint");
        }
        return owner.get(r).floats(r);
    }

    /**
     * Loads a tensor into {@code manager} as {@code dtype} (FLOAT32 or FLOAT16). A tensor already
     * stored in that dtype is wrapped without a copy; float16 is widened by libtorch; bfloat16
     * (which DJL cannot touch) is widened by libtorch too, as integers ({@link #widenBf16}); an int8
     * tensor with a {@code NAME_scale} companion (one float32 scale per output row, see
     * {@link studio.pixart.engine.text.T5Int8}) is dequantized.
     */
    public NDArray load(String name, NDManager manager, DataType dtype) {
        String r = resolve(name);
        if (r == null) {
            throw new SafetensorsException(location, name, "missing from the checkpoint");
        }
        SafetensorsFile f = owner.get(r);
        TensorInfo t = f.info(r);
        Shape shape = new Shape(t.shape());
        ByteBuffer raw = f.map(r);
        return switch (t.dtype()) {
            case F32 -> convert(manager.create(raw, shape, DataType.FLOAT32), dtype);
            case F16 -> convert(manager.create(raw, shape, DataType.FLOAT16), dtype);
            case F64 -> convert(manager.create(raw, shape, DataType.FLOAT64), dtype);
            case BF16 -> widenBf16(manager, raw, shape, dtype);
            case I8 -> dequantize(manager, r, raw, shape, dtype);
            default -> throw new SafetensorsException(f.path(), r, "is stored as " + t.dtype()
                    + ", but weights must be F32, F16, BF16 or F64, or I8 with scales (a float tensor labelled with an "
                    + "integer dtype is a broken export)");
        };
    }

    /** Name of the per-row float32 scales of an int8 weight. */
    public static String scaleName(String weight) {
        return weight + "_scale";
    }

    private NDArray dequantize(NDManager manager, String name, ByteBuffer raw, Shape shape, DataType dtype) {
        String sn = scaleName(name);
        if (!contains(sn)) {
            throw new SafetensorsException(location, name, "int8 weight without its scales '" + sn + "'");
        }
        expectShape(sn, shape.get(0));
        NDArray q = manager.create(raw, shape, DataType.INT8);
        NDArray scale = load(sn, manager, DataType.FLOAT32).reshape(shape.get(0), 1);
        NDArray w = q.toType(DataType.FLOAT32, false).muli(scale);
        q.close();
        scale.close();
        return convert(w, dtype);
    }

    /**
     * Rows {@code rows} of a 2-D tensor (e.g. an embedding table) as (rows.length, cols) in
     * {@code dtype}, read straight from the mapped file: a prompt's 20 rows of T5's 32128 × 4096 table
     * cost 20 × 4096 values, not a 0.5 GB conversion of the whole table.
     */
    public NDArray loadRows(String name, long[] rows, NDManager manager, DataType dtype) {
        String r = resolve(name);
        if (r == null) {
            throw new SafetensorsException(location, name, "missing from the checkpoint");
        }
        SafetensorsFile f = owner.get(r);
        TensorInfo t = f.info(r);
        long[] s = t.shape();
        if (s.length != 2) {
            throw new SafetensorsException(f.path(), r, "is not a table (shape " + java.util.Arrays.toString(s) + ")");
        }
        int cols = Math.toIntExact(s[1]);
        ByteBuffer raw = f.map(r);
        float[] scales = t.dtype() == TensorDType.I8 ? floats(scaleName(r)) : null;
        float[] out = new float[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            long row = rows[i];
            if (row < 0 || row >= s[0]) {
                throw new IllegalArgumentException("row " + row + " is outside " + r + " (" + s[0] + " rows)");
            }
            int base = i * cols;
            long at = row * cols;
            for (int j = 0; j < cols; j++) {
                long e = at + j;
                out[base + j] = switch (t.dtype()) {
                    case F32 -> raw.getFloat(Math.toIntExact(4 * e));
                    case F16 -> Half.toFloat(raw.getShort(Math.toIntExact(2 * e)));
                    case BF16 -> Float.intBitsToFloat((raw.getShort(Math.toIntExact(2 * e)) & 0xffff) << 16);
                    case I8 -> raw.get(Math.toIntExact(e)) * scales[(int) row];
                    default -> throw new SafetensorsException(f.path(), r, "cannot read rows of " + t.dtype());
                };
            }
        }
        NDArray a = manager.create(out, new Shape(rows.length, cols));
        return convert(a, dtype);
    }

    /** The tensor's raw little-endian bytes (memory-mapped, read-only), e.g. to scan for NaN/Inf. */
    public ByteBuffer raw(String name) {
        String r = resolve(name);
        if (r == null) {
            throw new SafetensorsException(location, name, "missing from the checkpoint");
        }
        return owner.get(r).map(r);
    }

    /**
     * Reads the pages of these tensors into memory (the OS reads ahead; each page is touched once)
     * so that a later {@link #load} finds them resident. Safe to call from a helper thread: it only
     * reads the mapped file, it creates no tensors.
     */
    public void prefetch(String... names) {
        for (String n : names) {
            String r = resolve(n);
            if (r != null) {
                owner.get(r).touch(r);
            }
        }
    }

    /** The file a tensor is read from. */
    public Path fileOf(String name) {
        String r = resolve(name);
        return r == null ? location : owner.get(r).path();
    }

    private static NDArray convert(NDArray a, DataType dtype) {
        if (a.getDataType() == dtype) {
            return a;
        }
        NDArray c = a.toType(dtype, true);
        a.close();
        return c;
    }

    /**
     * bfloat16 is the top half of a float32, so widening is a 16-bit shift. DJL has no bfloat16 type,
     * and its int16 tensors do not work either (creating one from a buffer aborts the JVM), so the
     * shift is done here in one pass straight into an uninitialised libtorch tensor: four values per
     * 64-bit word, the work split over the cores. No zero-filled Java buffer, no second copy (the
     * element-by-element loop through a fresh direct buffer that this replaces was most of the
     * 100 s a real-size prompt took).
     */
    static NDArray widenBf16(NDManager manager, ByteBuffer raw, Shape shape, DataType dtype) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("bfloat16 weights can be loaded as float32 or float16, not " + dtype);
        }
        long count = shape.size();
        if (!manager.getDevice().equals(ai.djl.Device.cpu())) {
            // The bits are written through the tensor's memory, which must be on the CPU: widen there, then move.
            try (NDManager cpu = Torch.newManager()) {
                NDArray moved = widenBf16(cpu, raw, shape, dtype).toDevice(manager.getDevice(), true);
                moved.attach(manager);
                return moved;
            }
        }
        NDArray f32 = manager.create(shape, DataType.FLOAT32); // torch::empty: not zero-filled
        ByteBuffer dst = JniUtils.getByteBuffer((PtNDArray) f32, true);
        widenBf16Bits(raw, dst, Math.toIntExact(count));
        if (dtype == DataType.FLOAT32) {
            return f32;
        }
        NDArray narrowed = f32.toType(dtype, true);
        f32.close();
        return narrowed;
    }

    /**
     * Writes a tensor as float32 into {@code target}, an existing float32 CPU tensor with as many
     * elements, and returns true, for bfloat16 and float16 (widened; both exact), int8 with scales
     * (dequantized exactly as {@link #load} does: value × its row's scale, in float32) and float32
     * (copied); returns false (target untouched) for other dtypes. Re-using one target per weight spares the kernel from
     * mapping and zeroing fresh pages for every block of every pass (for T5-XXL, 18 GB of new pages
     * per prompt).
     */
    public boolean loadInto(String name, NDArray target) {
        String r = resolve(name);
        if (r == null) {
            throw new SafetensorsException(location, name, "missing from the checkpoint");
        }
        SafetensorsFile f = owner.get(r);
        TensorInfo t = f.info(r);
        TensorDType dt = t.dtype();
        if (!loadsInto(dt)) {
            return false;
        }
        if (target.getDataType() != DataType.FLOAT32 || !target.getDevice().equals(ai.djl.Device.cpu())
                || target.getShape().size() != t.elementCount()) {
            throw new IllegalArgumentException("cannot load " + r + " (" + t.elementCount() + " values) into a "
                    + target.getDataType() + " tensor of shape " + target.getShape() + " on " + target.getDevice());
        }
        ByteBuffer dst = JniUtils.getByteBuffer((PtNDArray) target, true);
        int count = Math.toIntExact(t.elementCount());
        switch (dt) {
            case BF16 -> widenBf16Bits(f.map(r), dst, count);
            case F16 -> widenF16(f.map(r), dst, count);
            case F32 -> dst.duplicate().order(ByteOrder.LITTLE_ENDIAN).put(f.map(r));
            default -> {
                String sn = scaleName(r);
                if (!contains(sn)) {
                    throw new SafetensorsException(location, r, "int8 weight without its scales '" + sn + "'");
                }
                long rowsCount = t.shape().length == 0 ? 1 : t.shape()[0];
                expectShape(sn, rowsCount);
                dequantizeBytes(f.map(r), floats(sn), dst, count);
            }
        }
        return true;
    }

    /** The stored dtypes {@link #loadInto} writes. */
    public static boolean loadsInto(TensorDType dt) {
        return dt == TensorDType.BF16 || dt == TensorDType.F16 || dt == TensorDType.I8 || dt == TensorDType.F32;
    }

    /** Every float16 bit pattern as float32 (exact), 256 KB: a lookup per value instead of unpacking the bits. */
    private static final class HalfTable {
        static final float[] VALUES = new float[1 << 16];

        static {
            for (int h = 0; h < VALUES.length; h++) {
                VALUES[h] = Half.toFloat((short) h);
            }
        }
    }

    /** A range [from, to) of work units. */
    private interface Chunk {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over the units [0, units): in one chunk per core when they hold a million
     * values or more, otherwise in one chunk on this thread.
     */
    private static void inChunks(int units, long values, Chunk body) {
        int parts = values < (1 << 20) ? 1 : Math.max(1, Runtime.getRuntime().availableProcessors());
        java.util.stream.IntStream range = java.util.stream.IntStream.range(0, parts);
        (parts > 1 ? range.parallel() : range).forEach(p -> body.run((int) ((long) units * p / parts),
                (int) ((long) units * (p + 1) / parts)));
    }

    /** dst (native-order float32) = src (little-endian float16), in parallel chunks. */
    static void widenF16(ByteBuffer src, ByteBuffer dst, int count) {
        float[] table = HalfTable.VALUES;
        inChunks(count, count, (from, to) -> {
            java.nio.ShortBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
            java.nio.FloatBuffer out = dst.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (int i = from; i < to; i++) {
                out.put(i, table[in.get(i) & 0xffff]);
            }
        });
    }

    /** dst (native-order float32) = q (int8) × scales[row], rows of count / scales.length values, in parallel chunks of rows. */
    static void dequantizeBytes(ByteBuffer q, float[] scales, ByteBuffer dst, int count) {
        int rows = scales.length;
        int cols = count / rows;
        inChunks(rows, count, (from, to) -> {
            java.nio.FloatBuffer out = dst.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (int row = from; row < to; row++) {
                float s = scales[row];
                int base = row * cols;
                for (int c = 0; c < cols; c++) {
                    out.put(base + c, q.get(base + c) * s);
                }
            }
        });
    }

    /** dst (native-order float32 bits) = src (little-endian bfloat16) << 16, in parallel chunks. */
    public static void widenBf16Bits(ByteBuffer src, ByteBuffer dst, int count) {
        int words = count / 4;
        inChunks(words, count, (from, to) -> {
            LongBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
            LongBuffer out = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
            for (int i = from; i < to; i++) {
                long x = in.get(i);
                out.put(2 * i, ((x & 0xffffL) << 16) | ((x & 0xffff0000L) << 32));
                out.put(2 * i + 1, (((x >>> 32) & 0xffffL) << 16) | ((x >>> 48) << 48));
            }
        });
        ByteBuffer s = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer d = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 4 * words; i < count; i++) {
            d.putInt(4 * i, (s.getShort(2 * i) & 0xffff) << 16);
        }
    }

    /** Bytes on disk and tensor counts per dtype, for {@code inspect}. */
    public Map<TensorDType, Long> parameterCountByDtype() {
        Map<TensorDType, Long> m = new EnumMap<>(TensorDType.class);
        for (SafetensorsFile f : files) {
            for (TensorInfo t : f.tensors().values()) {
                m.merge(t.dtype(), t.elementCount(), Long::sum);
            }
        }
        return m;
    }

    public long bytesOnDisk() {
        return files.stream().mapToLong(SafetensorsFile::fileSize).sum();
    }

    public long parameterCount() {
        return parameterCountByDtype().values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}

package studio.pixart.engine.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One .safetensors file: the header is read and validated completely on open (bounded length,
 * well-formed JSON, known dtypes, offsets inside the file, no overlap, size = shape x dtype), so a
 * truncated or corrupt file fails here with the file and tensor named, never later as garbage.
 * Tensor data is memory-mapped read-only per tensor (model folders are often read-only, and a
 * private mapping needs a writable channel). An in-place op on a tensor wrapping such a mapping
 * crashes libtorch, so the engine never modifies weights in place.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Real headers are well below this (a few MB for thousands of tensors). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final long fileSize;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final Map<String, ByteBuffer> mappings = new java.util.concurrent.ConcurrentHashMap<>();

    private SafetensorsFile(Path path, FileChannel channel, long fileSize,
                            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.fileSize = fileSize;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(path, null, "file not found");
        } catch (IOException e) {
            throw new SafetensorsException(path, null, "cannot open: " + e.getMessage(), e);
        }
        try {
            return parse(path, ch);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel ch) {
        try {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsException(path, null,
                        "file is " + size + " bytes, too short for a safetensors header (truncated?)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES) {
                throw new SafetensorsException(path, null, "header length " + Long.toUnsignedString(headerLen)
                        + " is not plausible (corrupt file or not a safetensors file)");
            }
            if (8 + headerLen > size) {
                throw new SafetensorsException(path, null, "header length " + headerLen
                        + " exceeds the file size " + size + " (truncated file)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            String headerText = new String(hb.array(), StandardCharsets.UTF_8);
            JsonNode header;
            try {
                header = Json.MAPPER.readTree(headerText);
            } catch (IOException e) {
                throw new SafetensorsException(path, null, "header is not valid JSON: "
                        + Json.firstLine(e.getMessage()));
            }
            if (header == null || !header.isObject()) {
                throw new SafetensorsException(path, null, "header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = header.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                JsonNode v = e.getValue();
                if (name.equals("__metadata__")) {
                    if (v.isObject()) {
                        v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    }
                    continue;
                }
                tensors.put(name, parseEntry(path, name, v, dataStart, dataSize));
            }
            checkOverlaps(path, tensors.values());
            return new SafetensorsFile(path, ch, size, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            throw new SafetensorsException(path, null, "cannot read: " + e.getMessage(), e);
        }
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode v, long dataStart, long dataSize) {
        if (!v.isObject()) {
            throw new SafetensorsException(path, name, "header entry is not an object");
        }
        JsonNode dt = v.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw new SafetensorsException(path, name, "missing dtype");
        }
        TensorDType dtype = TensorDType.parse(dt.asText());
        if (dtype == null) {
            throw new SafetensorsException(path, name, "unknown dtype '" + dt.asText() + "'");
        }
        JsonNode sh = v.get("shape");
        if (sh == null || !sh.isArray()) {
            throw new SafetensorsException(path, name, "missing shape");
        }
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || d.asLong() < 0 || !d.canConvertToLong()) {
                throw new SafetensorsException(path, name, "invalid shape " + sh);
            }
            shape[i] = d.asLong();
        }
        JsonNode off = v.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber()
                || !off.get(1).isIntegralNumber() || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
            throw new SafetensorsException(path, name, "missing or invalid data_offsets");
        }
        long b = off.get(0).asLong();
        long en = off.get(1).asLong();
        if (b < 0 || en < b) {
            throw new SafetensorsException(path, name, "invalid data_offsets [" + b + ", " + en + "]");
        }
        if (en > dataSize) {
            throw new SafetensorsException(path, name, "data_offsets [" + b + ", " + en
                    + "] run past the end of the data (" + dataSize + " bytes): truncated file");
        }
        long count;
        try {
            count = 1;
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            count = Math.multiplyExact(count, (long) dtype.bytes);
        } catch (ArithmeticException ex) {
            throw new SafetensorsException(path, name, "shape overflows");
        }
        if (count != en - b) {
            throw new SafetensorsException(path, name, "holds " + (en - b) + " bytes but shape "
                    + sh + " of " + dtype + " needs " + count);
        }
        return new TensorInfo(name, dtype, shape, dataStart + b, dataStart + en);
    }

    private static void checkOverlaps(Path path, java.util.Collection<TensorInfo> all) {
        List<TensorInfo> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end() && cur.byteLength() > 0 && prev.byteLength() > 0) {
                throw new SafetensorsException(path, cur.name(), "data overlaps tensor '" + prev.name() + "'");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }

    public Path path() {
        return path;
    }

    public long fileSize() {
        return fileSize;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(path, name, "no such tensor");
        }
        return t;
    }

    /**
     * The tensor's raw little-endian bytes, memory-mapped read-only; at most 2 GiB per tensor. Each
     * tensor is mapped once per open file and the mapping re-used (a weight read again for every
     * prompt must not pile up mappings until the next garbage collection), so pages touched by
     * {@link #touch} are the pages later reads find.
     */
    public ByteBuffer map(String name) {
        return mapping(name).duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer mapping(String name) {
        TensorInfo t = info(name);
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(path, name, "tensor larger than 2 GiB cannot be mapped at once");
        }
        if (t.byteLength() == 0) {
            return ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer m = mappings.get(name);
        if (m != null) {
            return m;
        }
        try {
            m = channel.map(FileChannel.MapMode.READ_ONLY, t.begin(), t.byteLength());
        } catch (IOException e) {
            throw new SafetensorsException(path, name, "cannot map: " + e.getMessage(), e);
        }
        ByteBuffer prev = mappings.putIfAbsent(name, m);
        return prev != null ? prev : m;
    }

    /** Brings the tensor's pages into memory (read-ahead, then one touch per page); for a prefetch thread. */
    public void touch(String name) {
        if (mapping(name) instanceof MappedByteBuffer mb) {
            mb.load();
        }
    }

    /** Any floating tensor as float32 Java values (for small tensors: tests, configs, goldens). */
    public float[] floats(String name) {
        TensorInfo t = info(name);
        ByteBuffer b = map(name);
        int n = Math.toIntExact(t.elementCount());
        float[] out = new float[n];
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Half.toFloat(b.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(8 * i);
                }
            }
            case I64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getLong(8 * i);
                }
            }
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(4 * i);
                }
            }
            default -> throw new SafetensorsException(path, name, "cannot read " + t.dtype() + " as float");
        }
        return out;
    }

    /** Any integer tensor as long Java values. */
    public long[] longs(String name) {
        TensorInfo t = info(name);
        ByteBuffer b = map(name);
        int n = Math.toIntExact(t.elementCount());
        long[] out = new long[n];
        switch (t.dtype()) {
            case I64, U64 -> b.asLongBuffer().get(out);
            case I32, U32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(4 * i);
                }
            }
            case I8, U8, BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i);
                }
            }
            default -> throw new SafetensorsException(path, name, "cannot read " + t.dtype() + " as integers");
        }
        return out;
    }

    @Override
    public void close() {
        mappings.clear();
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing a read-only channel cannot lose data
        }
    }
}

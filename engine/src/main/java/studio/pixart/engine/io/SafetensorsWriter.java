package studio.pixart.engine.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a .safetensors file (tensors in name order, header padded to 8 bytes), atomically:
 * a temp file in the same folder, then a move.
 */
public final class SafetensorsWriter {
    private record Entry(TensorDType dtype, long[] shape, byte[] data) {}

    private final Map<String, Entry> entries = new TreeMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter putFloats(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return put(name, TensorDType.F32, shape, b.array(), values.length);
    }

    public SafetensorsWriter putLongs(String name, long[] shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return put(name, TensorDType.I64, shape, b.array(), values.length);
    }

    /** Raw little-endian bytes of the given dtype. */
    public SafetensorsWriter putRaw(String name, TensorDType dtype, long[] shape, byte[] data) {
        return put(name, dtype, shape, data, data.length / dtype.bytes);
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    private SafetensorsWriter put(String name, TensorDType dtype, long[] shape, byte[] data, long count) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != count) {
            throw new IllegalArgumentException(name + ": shape holds " + n + " elements, data has " + count);
        }
        entries.put(name, new Entry(dtype, shape.clone(), data));
        return this;
    }

    public void write(Path file) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", metadata);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry en = e.getValue();
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("dtype", en.dtype.name());
            h.put("shape", en.shape);
            h.put("data_offsets", new long[] {offset, offset + en.data.length});
            header.put(e.getKey(), h);
            offset += en.data.length;
        }
        byte[] json = Json.MAPPER.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = new byte[padded];
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            headerBytes[i] = ' ';
        }
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            for (Entry en : entries.values()) {
                out.write(en.data);
            }
        });
    }

    /** Writes bytes through a stream; used by {@link AtomicFiles}. */
    @FunctionalInterface
    public interface StreamWriter {
        void write(OutputStream out) throws IOException;
    }

}

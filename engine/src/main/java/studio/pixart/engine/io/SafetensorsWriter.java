package studio.pixart.engine.io;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a .safetensors file (tensors in name order, header padded to 8 bytes), atomically:
 * a temp file in the same folder, then a move. Tensors are either held as bytes ({@link #putFloats},
 * {@link #putRaw}) or {@linkplain #putStreamed streamed}: their bytes are produced while the file is
 * written, one tensor at a time, so a multi-GB file never has to be in memory.
 */
public final class SafetensorsWriter {
    /** Produces exactly the tensor's bytes (little-endian, row-major) into {@code out}. */
    @FunctionalInterface
    public interface TensorBytes {
        void writeTo(OutputStream out) throws IOException;
    }

    private record Entry(TensorDType dtype, long[] shape, long byteLength, TensorBytes bytes) {}

    private final Map<String, Entry> entries = new TreeMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter putFloats(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return putRaw(name, TensorDType.F32, shape, b.array());
    }

    public SafetensorsWriter putLongs(String name, long[] shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return putRaw(name, TensorDType.I64, shape, b.array());
    }

    /** Raw little-endian bytes of the given dtype. */
    public SafetensorsWriter putRaw(String name, TensorDType dtype, long[] shape, byte[] data) {
        if (data.length % dtype.bytes != 0) {
            throw new IllegalArgumentException(name + ": " + data.length + " bytes is not a whole number of " + dtype);
        }
        long count = data.length / dtype.bytes;
        if (elements(shape) != count) {
            throw new IllegalArgumentException(name + ": shape holds " + elements(shape) + " elements, data has " + count);
        }
        entries.put(name, new Entry(dtype, shape.clone(), data.length, out -> out.write(data)));
        return this;
    }

    /**
     * A tensor whose bytes are produced at write time by {@code bytes}, which must write exactly
     * shape × dtype bytes (checked; a mismatch fails the write and leaves no file).
     */
    public SafetensorsWriter putStreamed(String name, TensorDType dtype, long[] shape, TensorBytes bytes) {
        entries.put(name, new Entry(dtype, shape.clone(), Math.multiplyExact(elements(shape), (long) dtype.bytes), bytes));
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Bytes of tensor data (without the header) that {@link #write} will produce. */
    public long dataBytes() {
        return entries.values().stream().mapToLong(Entry::byteLength).sum();
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
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
            h.put("data_offsets", new long[] {offset, offset + en.byteLength});
            header.put(e.getKey(), h);
            offset += en.byteLength;
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
            for (Map.Entry<String, Entry> e : entries.entrySet()) {
                Entry en = e.getValue();
                CountingStream counted = new CountingStream(out);
                en.bytes.writeTo(counted);
                if (counted.count != en.byteLength) {
                    throw new IOException("tensor '" + e.getKey() + "' produced " + counted.count + " bytes, its shape "
                            + java.util.Arrays.toString(en.shape) + " of " + en.dtype + " needs " + en.byteLength);
                }
            }
        });
    }

    /** Counts what a tensor source writes; never closes the file stream. */
    private static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() {
            // the file stream is closed by AtomicFiles
        }
    }

    /** Writes bytes through a stream; used by {@link AtomicFiles}. */
    @FunctionalInterface
    public interface StreamWriter {
        void write(OutputStream out) throws IOException;
    }

}

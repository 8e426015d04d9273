package studio.pixart.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.nd.Torch;

class SafetensorsTest {
    @TempDir
    Path dir;

    private Path valid() throws IOException {
        Path p = dir.resolve("ok.safetensors");
        byte[] f16 = new byte[8];
        ByteBuffer b = ByteBuffer.wrap(f16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : new float[] {1f, -2.5f, 0.099975586f, 65504f}) {
            b.putShort(Half.fromFloat(v));
        }
        byte[] bf16 = new byte[6];
        ByteBuffer c = ByteBuffer.wrap(bf16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : new float[] {1f, -3f, 0.5f}) {
            c.putShort((short) (Float.floatToIntBits(v) >>> 16));
        }
        new SafetensorsWriter()
                .putFloats("a.weight", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
                .putLongs("ids", new long[] {3}, new long[] {5, -1, 1L << 40})
                .putRaw("h", TensorDType.F16, new long[] {4}, f16)
                .putRaw("bf", TensorDType.BF16, new long[] {3}, bf16)
                .metadata("format", "pt")
                .write(p);
        return p;
    }

    /** Rewrites the header of a valid file with a replaced JSON fragment (same data). */
    private Path withHeader(String find, String replace) throws IOException {
        byte[] all = Files.readAllBytes(valid());
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(all, 8, (int) n, StandardCharsets.UTF_8).trim();
        assertTrue(header.contains(find), header);
        byte[] h = header.replace(find, replace).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + all.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(all, 8 + (int) n, all.length - 8 - (int) n);
        Path p = dir.resolve("edited.safetensors");
        Files.write(p, out.array());
        return p;
    }

    @Test
    void roundTripsEveryDtype() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(valid())) {
            assertEquals(4, f.tensors().size());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, f.floats("a.weight"));
            assertArrayEquals(new long[] {5, -1, 1L << 40}, f.longs("ids"));
            assertArrayEquals(new float[] {1f, -2.5f, 0.099975586f, 65504f}, f.floats("h"));
            assertArrayEquals(new float[] {1f, -3f, 0.5f}, f.floats("bf"));
            assertEquals("pt", f.metadata().get("format"));
        }
    }

    @Test
    void loadsIntoTorchWithConversion() throws IOException {
        Torch.prepareThread();
        try (Checkpoint ck = Checkpoint.open(valid()); NDManager m = Torch.newManager()) {
            NDArray a = ck.load("a.weight", m, DataType.FLOAT32);
            assertArrayEquals(new long[] {2, 3}, a.getShape().getShape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.toFloatArray());
            assertArrayEquals(new float[] {1f, -2.5f, 0.099975586f, 65504f}, ck.load("h", m, DataType.FLOAT32).toFloatArray());
            assertArrayEquals(new float[] {1f, -3f, 0.5f}, ck.load("bf", m, DataType.FLOAT32).toFloatArray());
            NDArray bf16as16 = ck.load("bf", m, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, bf16as16.getDataType());
            assertArrayEquals(new float[] {1f, -3f, 0.5f}, bf16as16.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    @Test
    void truncatedFileNamesFileAndTensor() throws IOException {
        Path p = valid();
        byte[] all = Files.readAllBytes(p);
        Path t = dir.resolve("truncated.safetensors");
        Files.write(t, Arrays.copyOf(all, all.length - 3));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(t));
        assertTrue(e.getMessage().contains("truncated.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated file"), e.getMessage());
        assertTrue(e.getMessage().contains("tensor '"), e.getMessage());
    }

    @Test
    void tinyAndHeaderlessFilesAreRejected() throws IOException {
        Path a = dir.resolve("empty.safetensors");
        Files.write(a, new byte[3]);
        assertTrue(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(a)).getMessage().contains("too short"));
        Path b = dir.resolve("huge.safetensors");
        Files.write(b, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        assertTrue(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(b)).getMessage().contains("not plausible"));
        Path c = dir.resolve("short.safetensors");
        Files.write(c, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100).array());
        assertTrue(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(c)).getMessage().contains("exceeds the file size"));
        Path d = dir.resolve("missing.safetensors");
        assertTrue(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(d)).getMessage().contains("not found"));
    }

    @Test
    void corruptHeadersAreSpecific() throws IOException {
        assertMessage(withHeader("\"dtype\":\"F32\"", "\"dtype\":\"F33\""), "unknown dtype 'F33'");
        assertMessage(withHeader("{\"__metadata__\"", "[{\"__metadata__\""), "not valid JSON");
        assertMessage(withHeader("\"shape\":[2,3]", "\"shape\":[2,4]"), "needs 32");
        assertMessage(withHeader("\"data_offsets\":[0,24]", "\"data_offsets\":[0,2400]"), "truncated");
        assertMessage(withHeader("\"data_offsets\":[24,30]", "\"data_offsets\":[20,26]"), "overlaps");
        assertMessage(withHeader("\"data_offsets\":[0,24]", "\"data_offsets\":[24,0]"), "invalid data_offsets");
    }

    private static void assertMessage(Path p, String expected) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains(p.getFileName().toString()), e.getMessage());
    }

    @Test
    void shardedCheckpointWithTiedNames() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("text_encoder"));
        new SafetensorsWriter().putFloats("shared.weight", new long[] {2}, new float[] {7, 8})
                .write(folder.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().putFloats("encoder.final_layer_norm.weight", new long[] {1}, new float[] {3})
                .write(folder.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(folder.resolve("model.safetensors.index.json"), "{\"metadata\":{\"total_size\":12},\"weight_map\":{"
                + "\"shared.weight\":\"model-00001-of-00002.safetensors\","
                + "\"encoder.final_layer_norm.weight\":\"model-00002-of-00002.safetensors\"}}");
        try (Checkpoint ck = Checkpoint.open(folder)) {
            ck.alias("encoder.embed_tokens.weight", "shared.weight");
            assertArrayEquals(new float[] {7, 8}, ck.floats("encoder.embed_tokens.weight"));
            assertArrayEquals(new float[] {3}, ck.floats("encoder.final_layer_norm.weight"));
            assertEquals(3, ck.parameterCount());
            var e = assertThrows(SafetensorsException.class, () -> ck.expectShape("shared.weight", 3));
            assertTrue(e.getMessage().contains("has shape [2] but the config implies [3]"), e.getMessage());
            assertTrue(assertThrows(SafetensorsException.class, () -> ck.info("nope")).getMessage().contains("missing"));
        }
        Files.delete(folder.resolve("model-00002-of-00002.safetensors"));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(folder));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void halfConversionRoundsLikeTorch() {
        assertEquals(1.0f, Half.toFloat(Half.fromFloat(1.0f)));
        assertEquals(Float.POSITIVE_INFINITY, Half.toFloat(Half.fromFloat(70000f)));
        assertEquals(65504f, Half.toFloat(Half.fromFloat(65519f)));
        assertEquals(5.9604645e-8f, Half.toFloat(Half.fromFloat(5.9604645e-8f)));
        assertEquals(0f, Half.toFloat(Half.fromFloat(2.9802322e-8f))); // tie → even (0)
        assertEquals(1.0009766f, Half.toFloat(Half.fromFloat(1.00048828125f + 1e-7f)));
    }
}

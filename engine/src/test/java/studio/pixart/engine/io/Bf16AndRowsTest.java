package studio.pixart.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.nd.Torch;

/** bfloat16 widening (the real-size T5's hot path) and reading table rows straight from the file. */
class Bf16AndRowsTest {
    @TempDir
    Path tmp;

    private static short bf16(float f) {
        return (short) (Float.floatToRawIntBits(f) >>> 16);
    }

    @Test
    void widenedBitsAreTheTopHalfOfAFloatInEveryChunkAndTheTail() {
        int n = (1 << 20) + 3; // the parallel path, and 3 values after the last 4-value word
        Random r = new Random(5);
        ByteBuffer src = ByteBuffer.allocateDirect(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        float[] want = new float[n];
        for (int i = 0; i < n; i++) {
            short h = i % 1000 == 0 ? (short) 0xff80 : bf16((float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4)));
            src.putShort(2 * i, h);
            want[i] = Float.intBitsToFloat((h & 0xffff) << 16);
        }
        ByteBuffer dst = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        Checkpoint.widenBf16Bits(src, dst, n);
        float[] got = new float[n];
        dst.asFloatBuffer().get(got);
        assertArrayEquals(want, got); // exact, including -inf (0xff80) and signs
    }

    @Test
    void float16IsWidenedExactlyAsLibtorchDoesForEveryBitPattern() {
        int n = 1 << 16;
        int copies = 17; // > 10^6 values: the parallel path
        ByteBuffer src = ByteBuffer.allocateDirect(2 * n * copies).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n * copies; i++) {
            src.putShort(2 * i, (short) (i % n));
        }
        ByteBuffer dst = ByteBuffer.allocateDirect(4 * n * copies).order(ByteOrder.nativeOrder());
        Checkpoint.widenF16(src, dst, n * copies);
        float[] got = new float[n * copies];
        dst.asFloatBuffer().get(got);
        Torch.prepareThread();
        try (NDManager m = Torch.newManager()) {
            float[] want = m.create(src.rewind(), new ai.djl.ndarray.types.Shape(n * copies), DataType.FLOAT16)
                    .toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < want.length; i++) {
                if (Float.isNaN(want[i])) {
                    assertTrue(Float.isNaN(got[i]), "pattern " + (i % n) + " is NaN");
                } else {
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "pattern " + (i % n));
                }
            }
        }
    }

    @Test
    void bf16WeightsLoadAsFloat32AndFloat16AndRowsMatchTheWholeTensor() throws Exception {
        int rows = 7;
        int cols = 5;
        Random r = new Random(3);
        byte[] bf = new byte[2 * rows * cols];
        float[] full = new float[rows * cols];
        float[] f32 = new float[rows * cols];
        byte[] i8 = new byte[rows * cols];
        float[] scales = new float[rows];
        for (int i = 0; i < rows * cols; i++) {
            short h = bf16((float) r.nextGaussian());
            bf[2 * i] = (byte) h;
            bf[2 * i + 1] = (byte) (h >> 8);
            full[i] = Float.intBitsToFloat((h & 0xffff) << 16);
            f32[i] = (float) r.nextGaussian();
            i8[i] = (byte) (r.nextInt(255) - 127);
        }
        for (int i = 0; i < rows; i++) {
            scales[i] = 0.01f * (i + 1);
        }
        Path f = tmp.resolve("t.safetensors");
        new SafetensorsWriter().putRaw("bf", TensorDType.BF16, new long[] {rows, cols}, bf)
                .putFloats("f32", new long[] {rows, cols}, f32)
                .putRaw("q", TensorDType.I8, new long[] {rows, cols}, i8)
                .putFloats(Checkpoint.scaleName("q"), new long[] {rows}, scales)
                .putRaw("orphan", TensorDType.I8, new long[] {rows, cols}, i8)
                .write(f);
        Torch.prepareThread();
        try (Checkpoint ck = Checkpoint.open(f); NDManager m = Torch.newManager()) {
            assertArrayEquals(full, ck.load("bf", m, DataType.FLOAT32).toFloatArray());
            NDArray half = ck.load("bf", m, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, half.getDataType());
            float[] h = half.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < h.length; i++) {
                assertEquals(full[i], h[i], Math.abs(full[i]) * 1e-3 + 1e-7);
            }
            float[] deq = ck.load("q", m, DataType.FLOAT32).toFloatArray();
            for (int i = 0; i < deq.length; i++) {
                assertEquals(i8[i] * scales[i / cols], deq[i], 0f);
            }
            long[] pick = {4, 0, 4, 6};
            for (String name : new String[] {"bf", "f32", "q"}) {
                float[] whole = ck.load(name, m, DataType.FLOAT32).toFloatArray();
                float[] got = ck.loadRows(name, pick, m, DataType.FLOAT32).toFloatArray();
                for (int k = 0; k < pick.length; k++) {
                    for (int j = 0; j < cols; j++) {
                        assertEquals(whole[(int) pick[k] * cols + j], got[k * cols + j], 0f, name + " row " + pick[k]);
                    }
                }
            }
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> ck.load("orphan", m, DataType.FLOAT32));
            assertEquals(true, e.getMessage().contains("orphan_scale"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ck.loadRows("f32", new long[] {rows}, m, DataType.FLOAT32));
        }
    }
}

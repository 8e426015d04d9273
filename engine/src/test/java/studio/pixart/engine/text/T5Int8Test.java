package studio.pixart.engine.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.Checkpoint;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.nd.Torch;

/** The opt-in 8-bit T5 on the tiny goldens' encoder: the conversion's files, resume, checksums, and the embeddings' error. */
class T5Int8Test {
    @TempDir
    Path tmp;

    /** Cosine similarity and max |a - b| / max |a| of two embeddings, over the unmasked positions. */
    static double[] error(float[] ref, float[] q, long[][] mask, int dim) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        double maxDiff = 0;
        double maxRef = 0;
        int len = mask[0].length;
        for (int b = 0; b < mask.length; b++) {
            for (int j = 0; j < len; j++) {
                if (mask[b][j] == 0) {
                    continue;
                }
                for (int k = 0; k < dim; k++) {
                    int i = (b * len + j) * dim + k;
                    dot += (double) ref[i] * q[i];
                    na += (double) ref[i] * ref[i];
                    nb += (double) q[i] * q[i];
                    maxDiff = Math.max(maxDiff, Math.abs(ref[i] - q[i]));
                    maxRef = Math.max(maxRef, Math.abs(ref[i]));
                }
            }
        }
        return new double[] {dot / Math.sqrt(na * nb), maxDiff / maxRef};
    }

    @Test
    void convertsOnceVerifiesResumesAndStaysCloseToTheFullPrecisionEncoder() throws Exception {
        Path src = T5EncoderTest.MODEL;
        Path root = tmp.resolve("cache");
        List<String> progress = new ArrayList<>();
        Path q = T5Int8.ensure(src, root, progress::add);
        assertTrue(Files.isRegularFile(q.resolve(T5Int8.MANIFEST)));
        assertTrue(progress.stream().anyMatch(s -> s.contains("block-00")), progress.toString());
        T5Int8.verify(q);
        try (Checkpoint ck = Checkpoint.open(q)) {
            String w = "encoder.block.1.layer.1.DenseReluDense.wi_0.weight";
            assertEquals(TensorDType.I8, ck.info(w).dtype());
            assertEquals(TensorDType.F32, ck.info(Checkpoint.scaleName(w)).dtype());
            assertEquals(TensorDType.I8, ck.info(T5Encoder.SHARED).dtype());
            assertEquals(TensorDType.F32, ck.info("encoder.block.0.layer.0.layer_norm.weight").dtype());
        }

        // Converted once: a second call reads nothing and rewrites nothing.
        Path block = q.resolve("block-01.safetensors");
        FileTime before = Files.getLastModifiedTime(block);
        progress.clear();
        assertEquals(q, T5Int8.ensure(src, root, progress::add));
        assertTrue(progress.isEmpty(), progress.toString());
        assertEquals(before, Files.getLastModifiedTime(block));

        // Interrupted conversion (no manifest) with one damaged file: only that file is written again.
        byte[] b = Files.readAllBytes(block);
        b[b.length - 1] ^= 1;
        Files.write(block, b);
        ConfigException damaged = assertThrows(ConfigException.class, () -> T5Int8.verify(q));
        assertTrue(damaged.getMessage().contains("block-01.safetensors") && damaged.getMessage().contains("checksum"),
                damaged.getMessage());
        Files.delete(q.resolve(T5Int8.MANIFEST));
        progress.clear();
        T5Int8.ensure(src, root, progress::add);
        assertTrue(progress.contains("converting block-01.safetensors to int8"), progress.toString());
        assertFalse(progress.contains("converting block-00.safetensors to int8"), progress.toString());
        T5Int8.verify(q);

        // The embeddings on the goldens' prompts, against the unquantized encoder.
        Torch.prepareThread();
        try (T5Encoder full = T5Encoder.load(src, Device.cpu(), DataType.FLOAT32);
             T5Encoder int8 = T5Encoder.load(q, Device.cpu(), DataType.FLOAT32);
             Golden g = Golden.load("t5/t5_prompts_len16")) {
            assertEquals(T5Encoder.LoadMode.PER_LAYER, int8.mode());
            long[][] ids = T5EncoderTest.ids(g);
            long[][] mask = T5EncoderTest.mask(g);
            float[] a = full.encode(ids, mask);
            float[] c = int8.encode(ids, mask);
            double[] err = error(a, c, mask, full.config().dModel());
            System.out.printf("int8 T5 on the tiny goldens' prompts: cosine %.6f, max relative error %.4f%n", err[0], err[1]);
            assertTrue(err[0] > 0.999, "cosine " + err[0]);
            assertTrue(err[1] < 0.05, "max relative error " + err[1]);
            assertNotEquals(0.0, err[1], "int8 must differ from full precision (it is a different model)");
            // Blocks dequantized in Java into re-used tensors equal libtorch's dequantization of the eager load, bit for bit.
            assertTrue(int8.staged(), "int8 blocks computed in float32 go through the re-used tensors");
            try (T5Encoder eager = T5Encoder.load(q, Device.cpu(), DataType.FLOAT32, T5Encoder.LoadMode.EAGER)) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(eager.encode(ids, mask), c, "staged int8 vs eager int8");
            }
        }
    }

    @Test
    void aChangedSourceGetsItsOwnConversion() throws Exception {
        Path src = tmp.resolve("te");
        Files.createDirectories(src);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(T5EncoderTest.MODEL.resolve(f), src.resolve(f));
        }
        String k1 = T5Int8.sourceKey(src);
        Files.writeString(src.resolve("config.json"), Files.readString(src.resolve("config.json")).replace("\"dropout_rate\": 0.1", "\"dropout_rate\": 0.2"));
        assertNotEquals(k1, T5Int8.sourceKey(src));
    }
}

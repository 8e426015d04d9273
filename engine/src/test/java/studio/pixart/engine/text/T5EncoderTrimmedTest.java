package studio.pixart.engine.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.nd.Torch;

/** encodeTrimmed computes only the valid prefix and must equal the full encoder on every unmasked position. */
class T5EncoderTrimmedTest {
    static T5Encoder encoder;

    @BeforeAll
    static void load() {
        Torch.prepareThread();
        encoder = T5Encoder.load(T5EncoderTest.MODEL, Device.cpu(), DataType.FLOAT32);
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"t5_prompts_len16", "t5_prompts_len300", "t5_random_ids_holes"})
    void trimmedEqualsFullOnUnmaskedPositions(String name) {
        Torch.prepareThread();
        try (Golden g = Golden.load("t5/" + name); NDManager m = Torch.newManager()) {
            long[][] ids = T5EncoderTest.ids(g);
            long[][] mask = T5EncoderTest.mask(g);
            int batch = ids.length;
            int len = ids[0].length;
            int d = encoder.config().dModel();
            int keep = T5Encoder.computedLength(mask);
            int longest = 0;
            boolean rightPadded = true;
            for (long[] row : mask) {
                int n = 0;
                while (n < len && row[n] == 1) {
                    n++;
                }
                for (int j = n; j < len; j++) {
                    rightPadded &= row[j] == 0;
                }
                longest = Math.max(longest, n);
            }
            assertEquals(rightPadded ? longest : len, keep, "positions computed");
            if (name.equals("t5_random_ids_holes")) {
                assertEquals(len, keep, "a mask with holes falls back to the full path");
            } else if (name.equals("t5_prompts_len300")) {
                assertTrue(keep < len, "the pipeline's prompts are right-padded and much shorter than 300");
            }

            NDArray trimmed = encoder.encodeTrimmed(m, ids, mask);
            assertEquals(m, trimmed.getManager());
            assertArrayEquals(new long[] {batch, len, d}, trimmed.getShape().getShape());
            float[] full = encoder.encode(ids, mask);
            float[] got = trimmed.toFloatArray();
            float[] ref = g.floats("last_hidden_state");
            // Compare only unmasked positions (padded ones are masked out downstream).
            float[] fullValid = new float[full.length];
            float[] gotValid = new float[full.length];
            float[] refValid = new float[full.length];
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < len; j++) {
                    for (int c = 0; c < d; c++) {
                        int i = (b * len + j) * d + c;
                        if (mask[b][j] == 1) {
                            fullValid[i] = full[i];
                            gotValid[i] = got[i];
                            refValid[i] = ref[i];
                        } else if (rightPadded) {
                            assertEquals(0f, got[i], "positions beyond the row's own prefix are zero padding");
                        }
                    }
                }
            }
            Golden.assertCloseModule(name + " trimmed vs full", fullValid, gotValid, 1e-5);
            Golden.assertCloseModule(name + " trimmed vs golden", refValid, gotValid, 1e-4);
        }
    }

    @Test
    void computedLengthRules() {
        assertEquals(3, T5Encoder.computedLength(new long[][] {{1, 1, 1, 0, 0}, {1, 0, 0, 0, 0}}));
        assertEquals(5, T5Encoder.computedLength(new long[][] {{1, 1, 1, 1, 1}}), "no padding: nothing to trim");
        assertEquals(5, T5Encoder.computedLength(new long[][] {{1, 0, 1, 0, 0}}), "hole: full path");
        assertEquals(5, T5Encoder.computedLength(new long[][] {{1, 1, 0, 0, 0}, {0, 0, 0, 0, 0}}),
                "an all-masked row attends uniformly over all L positions: full path");
    }
}

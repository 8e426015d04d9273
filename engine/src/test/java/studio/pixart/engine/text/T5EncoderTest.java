package studio.pixart.engine.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.nd.Torch;

/** The encoder against the t5/ goldens (README §5, §7 item 5), at the README's 1e-4 module tolerance. */
class T5EncoderTest {
    static final Path MODEL = Golden.model("tiny-pixart-sigma/text_encoder");
    static final double TOL = 1e-4;
    static T5Encoder encoder;

    @BeforeAll
    static void load() {
        Torch.prepareThread();
        encoder = T5Encoder.load(MODEL, Device.cpu(), DataType.FLOAT32);
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    static long[][] rows(long[] flat, long[] shape) {
        int b = (int) shape[0];
        int l = (int) shape[1];
        long[][] out = new long[b][l];
        for (int i = 0; i < b; i++) {
            System.arraycopy(flat, i * l, out[i], 0, l);
        }
        return out;
    }

    static long[][] ids(Golden g) {
        return rows(g.longs("input_ids"), g.shape("input_ids"));
    }

    static long[][] mask(Golden g) {
        return rows(g.longs("attention_mask"), g.shape("attention_mask"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"t5_prompts_len16", "t5_prompts_len300", "t5_random_ids_holes"})
    void lastHiddenStateAndIntermediatesMatchGolden(String name) {
        Torch.prepareThread();
        try (Golden g = Golden.load("t5/" + name); NDManager m = Torch.newManager()) {
            long[][] ids = ids(g);
            long[][] mask = mask(g);
            int len = ids[0].length;
            assertEquals(DataType.FLOAT32, encoder.dtype());
            assertEquals(T5Encoder.LoadMode.EAGER, encoder.mode(), "float32 file, float32 compute: zero-copy eager");

            Golden.assertCloseModule(name + " embeds", g.floats("embeds"), encoder.embed(m, ids).toFloatArray(), TOL);

            // Unmasked block-0 bias: row of query 0 (relative +j) and column of key 0 (relative -i).
            int heads = encoder.config().numHeads();
            float[] bias = encoder.positionBias(len, len);
            float[] q0 = new float[heads * len];
            float[] k0 = new float[heads * len];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < len; i++) {
                    q0[h * len + i] = bias[(h * len) * len + i];
                    k0[h * len + i] = bias[(h * len + i) * len];
                }
            }
            Golden.assertCloseModule(name + " position_bias_query0", g.floats("position_bias_query0"), q0, TOL);
            Golden.assertCloseModule(name + " position_bias_key0", g.floats("position_bias_key0"), k0, TOL);
            if (g.has("position_bias_with_mask")) {
                float[] ref = g.floats("position_bias_with_mask");
                float[] got = encoder.attentionBias(m, mask, ids.length, len).toFloatArray();
                // Masked entries are finfo.min (~-3.4e38): compare them exactly, the rest at tolerance.
                float[] refSmall = new float[ref.length];
                float[] gotSmall = new float[ref.length];
                for (int i = 0; i < ref.length; i++) {
                    if (ref[i] < -1e30f) {
                        assertEquals(ref[i], got[i], 0f, name + " masked bias entry " + i);
                    } else {
                        refSmall[i] = ref[i];
                        gotSmall[i] = got[i];
                    }
                }
                Golden.assertCloseModule(name + " position_bias_with_mask", refSmall, gotSmall, TOL);
            }

            List<float[]> blocks = new ArrayList<>();
            NDArray out = encoder.encode(m, ids, mask, (i, h) -> blocks.add(h.toType(DataType.FLOAT32, false).toFloatArray()));
            assertSame(m, out.getManager(), "result attached to the caller's manager");
            assertEquals(new ai.djl.ndarray.types.Shape(ids.length, len, 16), out.getShape());
            assertEquals(DataType.FLOAT32, out.getDataType());
            assertEquals(encoder.config().numLayers(), blocks.size());
            for (int i = 0; i < blocks.size(); i++) {
                Golden.assertCloseModule(name + " block_" + i + "_out", g.floats("block_" + i + "_out"), blocks.get(i), TOL);
            }
            Golden.assertCloseModule(name + " last_hidden_state", g.floats("last_hidden_state"), out.toFloatArray(), TOL);
            Golden.assertCloseModule(name + " float[] api", g.floats("last_hidden_state"), encoder.encode(ids, mask), TOL);
        }
    }

    @Test
    void bucketsFollowT5Rule() {
        // 32 buckets / 128: 16 per direction (keys to the right +16), exact below 8,
        // then 8 + floor(8 * ln(n/8) / ln(16)), capped at 15.
        int[][] distanceToBucket = {{0, 0}, {1, 1}, {7, 7}, {8, 8}, {11, 8}, {12, 9}, {15, 9}, {16, 10},
            {32, 12}, {64, 14}, {127, 15}, {128, 15}, {299, 15}};
        for (int[] e : distanceToBucket) {
            assertEquals(e[1], T5Encoder.relativeBucket(-e[0], 32, 128), "key " + e[0] + " to the left");
            if (e[0] > 0) {
                assertEquals(16 + e[1], T5Encoder.relativeBucket(e[0], 32, 128), "key " + e[0] + " to the right");
            }
        }
    }
}

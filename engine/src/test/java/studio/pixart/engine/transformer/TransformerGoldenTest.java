package studio.pixart.engine.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.nd.Torch;

/** The transformer against the reference's outputs and intermediates (README §5 transformer/, §6). */
class TransformerGoldenTest {
    static final double TOL = 1e-4;

    @BeforeAll
    static void engine() {
        Torch.prepareThread();
    }

    /** Runs a golden case through the model with the given options; returns the trace. */
    static Map<String, float[]> run(Golden g, TransformerOptions options) {
        try (NDManager m = Torch.newManager();
             PixArtTransformer t = PixArtTransformer.load(Golden.model(g.params().get("model_path").asText()),
                     Device.cpu(), DataType.FLOAT32, options)) {
            NDArray latents = input(g, m, "hidden_states");
            NDArray timestep = input(g, m, "timestep");
            NDArray text = input(g, m, "encoder_hidden_states");
            NDArray mask = g.has("encoder_attention_mask") ? input(g, m, "encoder_attention_mask") : null;
            NDArray res = g.has("added_cond_resolution") ? input(g, m, "added_cond_resolution") : null;
            NDArray ar = g.has("added_cond_aspect_ratio") ? input(g, m, "added_cond_aspect_ratio") : null;
            Map<String, float[]> trace = t.forwardWithTrace(latents, timestep, text, mask, res, ar);
            return trace;
        }
    }

    static NDArray input(Golden g, NDManager m, String name) {
        Shape shape = new Shape(g.shape(name));
        if (g.tensors.info(name).dtype() == TensorDType.I64) {
            return m.create(g.longs(name), shape);
        }
        return m.create(g.floats(name), shape);
    }

    @ParameterizedTest
    @ValueSource(strings = {"transformer_sigma_8x8", "transformer_sigma_8x12", "transformer_sigma_float_t_nomask",
            "transformer_alpha_addcond", "transformer_interp2_8x8", "transformer_interp2_8x12"})
    void matchesReferenceOutputAndIntermediates(String name) {
        try (Golden g = Golden.load("transformer/" + name)) {
            Map<String, float[]> trace = run(g, TransformerOptions.defaults());
            Golden.assertCloseModule(name + " sample", g.floats("sample"), trace.get("sample"), TOL);
            int checked = 0;
            for (Iterator<String> it = g.json.get("intermediates").fieldNames(); it.hasNext(); ) {
                String inter = it.next();
                assertTrue(trace.containsKey(inter), name + ": no traced intermediate " + inter);
                Golden.assertCloseModule(name + " " + inter, g.floats(inter), trace.get(inter), TOL);
                checked++;
            }
            assertTrue(checked >= 10, name + ": only " + checked + " intermediates checked");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"transformer_sigma_8x12", "transformer_alpha_addcond"})
    void chunkedAttentionEqualsUnchunked(String name) {
        try (Golden g = Golden.load("transformer/" + name)) {
            float[] whole = run(g, TransformerOptions.defaults()).get("sample");
            // 1 byte → one query row per chunk: 24 chunks per attention
            float[] rows = run(g, TransformerOptions.defaults().withAttentionBudget(1)).get("sample");
            // a budget that does not divide the token count: on the CPU (one head at a time) chunks of
            // 5 rows of the 24-token self-attention, the last one shorter
            long fiveRows = 5L * 24 * 4;
            float[] five = run(g, TransformerOptions.defaults().withAttentionBudget(fiveRows)).get("sample");
            Golden.assertCloseModule(name + " 1-row chunks", whole, rows, 1e-6);
            Golden.assertCloseModule(name + " 5-row chunks", whole, five, 1e-6);
            Golden.assertCloseModule(name + " chunked vs golden", g.floats("sample"), rows, TOL);
        }
    }

    @Test
    void kvCompressionRatioOneIsTheIdentity() {
        try (Golden g = Golden.load("transformer/transformer_sigma_8x12")) {
            float[] plain = run(g, TransformerOptions.defaults()).get("sample");
            var kv = new TransformerOptions.KvCompression(true, 1, Set.of(0, 1));
            float[] r1 = run(g, TransformerOptions.defaults().withKvCompression(kv)).get("sample");
            assertArrayEquals(plain, r1);
        }
    }

    @Test
    void kvCompressionRatioTwoChangesTheOutputALittle() {
        try (Golden g = Golden.load("transformer/transformer_sigma_8x12")) {
            Map<String, float[]> plain = run(g, TransformerOptions.defaults());
            // default layers: upper half of the 2-layer model = block 1 only
            Map<String, float[]> kv = run(g, TransformerOptions.defaults().withKvCompression(
                    TransformerOptions.KvCompression.upperHalf(2)));
            assertArrayEquals(plain.get("block_0_out"), kv.get("block_0_out"), "block 0 is not compressed");
            float[] a = plain.get("sample");
            float[] b = kv.get("sample");
            double maxRef = 0;
            double sq = 0;
            for (int i = 0; i < a.length; i++) {
                assertTrue(Float.isFinite(b[i]));
                maxRef = Math.max(maxRef, Math.abs(a[i]));
                sq += (a[i] - b[i]) * (double) (a[i] - b[i]);
            }
            double rms = Math.sqrt(sq / a.length);
            assertTrue(rms > 1e-4, "compression must change the output, rms diff " + rms);
            assertTrue(rms < 0.25 * maxRef, "compression should change the output only a little: rms diff " + rms + " vs max " + maxRef);
        }
    }

    @Test
    void poolingKeepsTheEdgeOfOddGrids() {
        try (NDManager m = Torch.newManager()) {
            // a 3×3 grid of one channel, values 0..8, row-major: ceil-mode 2×2 windows
            NDArray tokens = m.arange(0f, 9f).reshape(1, 9, 1);
            float[] pooled = PixArtTransformer.poolTokens(tokens, 3, 3, 2).toFloatArray();
            assertArrayEquals(new float[] {(0 + 1 + 3 + 4) / 4f, (2 + 5) / 2f, (6 + 7) / 2f, 8f}, pooled);
            // ratio 1 is exact
            assertArrayEquals(tokens.toFloatArray(), PixArtTransformer.poolTokens(tokens, 3, 3, 1).toFloatArray());
        }
    }

    @Test
    void kvCompressionRunsOnOddGrids() {
        try (NDManager m = Torch.newManager();
             PixArtTransformer t = PixArtTransformer.load(Golden.model("tiny-pixart-sigma/transformer"), Device.cpu(),
                     DataType.FLOAT32, TransformerOptions.defaults().withKvCompression(TransformerOptions.KvCompression.upperHalf(2)))) {
            NDArray out = t.forward(m.randomNormal(new Shape(1, 4, 10, 6)), m.create(new long[] {500}),
                    m.randomNormal(new Shape(1, 5, 16)), null, null, null);
            assertEquals(new Shape(1, 8, 10, 6), out.getShape());
            for (float v : out.toFloatArray()) {
                assertTrue(Float.isFinite(v));
            }
        }
    }
}

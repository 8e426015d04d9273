package studio.pixart.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import studio.pixart.engine.Golden;
import studio.pixart.engine.image.ImageResize;

class ResolutionBinningTest {
    @Test
    void everyTableMatchesReferenceBins() {
        try (Golden g = Golden.load("image_processor/resolution_binning")) {
            JsonNode tables = g.params().get("tables");
            int checked = 0;
            for (var it = tables.fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode t = e.getValue();
                ResolutionBinning rb = ResolutionBinning.forSampleSize(t.get("transformer_sample_size").asInt(), false);
                assertEquals(e.getKey(), rb.tableName());
                for (int i = 0; i < t.get("requested_hw").size(); i++) {
                    JsonNode req = t.get("requested_hw").get(i);
                    JsonNode exp = t.get("binned_hw").get(i);
                    ResolutionBinning.Bin b = rb.classify(req.get(0).asInt(), req.get(1).asInt());
                    assertEquals(exp.get(0).asInt(), b.height(), e.getKey() + " " + req);
                    assertEquals(exp.get(1).asInt(), b.width(), e.getKey() + " " + req);
                    checked++;
                }
            }
            assertEquals(80, checked);
        }
    }

    @Test
    void exactTieGoesToFirstListedKey() {
        ResolutionBinning rb = ResolutionBinning.forSampleSize(32, false);
        assertEquals("3.0", rb.classify(112, 32).key());
    }

    @Test
    void resizedSizeIsTruncatedAndMayExceedRequest() {
        assertArrayEquals(new int[] {360, 205}, ResolutionBinning.resizedSize(336, 192, 360, 200));
        assertArrayEquals(new int[] {56, 98}, ResolutionBinning.resizedSize(768, 1344, 56, 96));
    }

    @Test
    void unsupportedSampleSizeIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> ResolutionBinning.forSampleSize(8, false));
        assertEquals(true, e.getMessage().contains("sample_size 8"));
        assertThrows(IllegalArgumentException.class, () -> ResolutionBinning.forSampleSize(256, true));
    }

    @Test
    void resizeAndCropMatchesReference() {
        for (int k = 0; k < 3; k++) {
            try (Golden g = Golden.load("image_processor/resize_and_crop_" + k)) {
                long[] s = g.shape("image");
                int newW = g.params().get("new_width").asInt();
                int newH = g.params().get("new_height").asInt();
                float[] img = g.floats("image");
                int b = (int) s[0];
                int c = (int) s[1];
                int h = (int) s[2];
                int w = (int) s[3];
                float[] out = new float[b * c * newH * newW];
                for (int i = 0; i < b; i++) {
                    float[] one = java.util.Arrays.copyOfRange(img, i * c * h * w, (i + 1) * c * h * w);
                    float[] r = ImageResize.resizeAndCrop(one, c, h, w, newH, newW);
                    System.arraycopy(r, 0, out, i * c * newH * newW, r.length);
                }
                Golden.assertCloseAbsolute("resize_and_crop_" + k, g.floats("resized"), out, 1e-6);
            }
        }
    }
}

package studio.pixart.engine.nd;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import studio.pixart.engine.Golden;

class SeededNoiseTest {
    @Test
    void reproducesTorchRandnForEverySeedAndShape() {
        Torch.prepareThread();
        try (Golden g = Golden.load("noise/torch_randn")) {
            for (JsonNode entry : g.params().get("entries")) {
                SeededNoise.seed(entry.get("seed").asLong());
                for (int k = 0; k < entry.get("shapes").size(); k++) {
                    JsonNode s = entry.get("shapes").get(k);
                    long[] shape = new long[s.size()];
                    for (int i = 0; i < shape.length; i++) {
                        shape[i] = s.get(i).asLong();
                    }
                    String name = entry.get("tensors").get(k).asText();
                    Golden.assertCloseAbsolute(name, g.floats(name), SeededNoise.next(shape), 1e-6);
                }
            }
        }
    }
}

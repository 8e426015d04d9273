package studio.pixart.app.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.model.PlannedSize;

class TimeEstimateViewModelTest {
    static ModelInfo model(int sampleSize) {
        return new ModelInfo("m", Path.of("m"), "PixArt-Σ " + sampleSize * 8 + "px", "PixArt-Σ", 300, sampleSize * 8, sampleSize,
                16, false, Map.of(), List.of(), null);
    }

    static double seconds(String text) {
        // "≈ 3 min 10 s …" or "≈ 45 s …"
        String[] w = text.split(" ");
        return w[2].equals("min") ? Integer.parseInt(w[1]) * 60 + (w[3].matches("\\d+") ? Integer.parseInt(w[3]) : 0)
                : Integer.parseInt(w[1]);
    }

    @Test
    void saysTheExpectedTimeForTheSizeAndStepsAndNothingForAGpu() {
        PlannedSize big = new PlannedSize(1024, 1024, 1024, 1024, true, "");
        PlannedSize small = new PlannedSize(512, 512, 512, 512, true, "");
        String t20 = TimeEstimateViewModel.describe(model(128), big, 20, 4.5, "cpu", 120);
        String t40 = TimeEstimateViewModel.describe(model(128), big, 40, 4.5, "cpu", 120);
        String s20 = TimeEstimateViewModel.describe(model(64), small, 20, 4.5, "auto", 120);
        assertTrue(t20.startsWith("≈ ") && t20.contains("on this computer's CPU (20 steps, new prompt)"), t20);
        assertTrue(seconds(t40) > 1.7 * seconds(t20), t20 + " / " + t40);
        assertTrue(seconds(s20) < seconds(t20) / 3, s20 + " / " + t20);
        String lcm = TimeEstimateViewModel.describe(model(128), big, 4, 0, "cpu", 120);
        assertTrue(lcm.contains("4 steps, no guidance"), lcm);
        assertEquals("", TimeEstimateViewModel.describe(model(128), big, 20, 4.5, "cuda:0", 120));
        assertEquals("", TimeEstimateViewModel.describe(null, big, 20, 4.5, "cpu", 120));
    }
}

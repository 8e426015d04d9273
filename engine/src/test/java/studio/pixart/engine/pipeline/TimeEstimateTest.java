package studio.pixart.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import studio.pixart.engine.transformer.StepFlops;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.transformer.TransformerOptions;

class TimeEstimateTest {
    static final TransformerConfig XL = TransformerConfig.pixArtXl(128);
    static final TimeEstimate.Calibration CAL = new TimeEstimate.Calibration(100, 512, 0.8, 1024, 0.6, 40, 12);

    @Test
    void aStepAtAMeasuredSizeTakesItsFlopsAtTheMeasuredEfficiency() {
        double flops = StepFlops.count(XL, 128, 128, 300, 2, TransformerOptions.defaults()).total();
        TimeEstimate.Estimate e = TimeEstimate.estimate(XL, 1024, 1024, 20, 4.5, 300, false, 100, CAL);
        assertEquals(flops / (0.6 * 100e9), e.secondsPerStep(), 1e-9);
        assertEquals(40, e.decodeSeconds(), 1e-9);
        assertEquals(12, e.textSeconds(), 1e-9);
        assertEquals(12 + 20 * e.secondsPerStep() + 40, e.totalSeconds(), 1e-9);
    }

    @Test
    void stepsGuidanceCachesAndMachineSpeedScaleTheParts() {
        TimeEstimate.Estimate base = TimeEstimate.estimate(XL, 1024, 1024, 20, 4.5, 300, false, 100, CAL);
        TimeEstimate.Estimate noCfg = TimeEstimate.estimate(XL, 1024, 1024, 4, 1.0, 300, true, 100, CAL);
        assertEquals(base.secondsPerStep() / 2, noCfg.secondsPerStep(), 1e-9); // batch 1 instead of 2
        assertEquals(0, noCfg.textSeconds());
        TimeEstimate.Estimate twiceAsFast = TimeEstimate.estimate(XL, 1024, 1024, 20, 4.5, 300, false, 200, CAL);
        assertEquals(base.totalSeconds() / 2, twiceAsFast.totalSeconds(), 1e-9);
        // 512 px: a quarter of the pixels, fewer attention FLOPs per token, the 512 px efficiency
        TimeEstimate.Estimate small = TimeEstimate.estimate(XL, 512, 512, 20, 4.5, 300, false, 100, CAL);
        assertTrue(small.secondsPerStep() < base.secondsPerStep() / 4, small + " vs " + base);
        assertEquals(10, small.decodeSeconds(), 1e-9);
        // between the measured sizes the efficiency is interpolated, so time grows monotonically
        double prev = 0;
        for (int px = 512; px <= 1024; px += 64) {
            double s = TimeEstimate.estimate(XL, px, px, 1, 4.5, 300, true, 100, CAL).secondsPerStep();
            assertTrue(s > prev, px + " px: " + s);
            prev = s;
        }
        assertThrows(IllegalArgumentException.class, () -> TimeEstimate.estimate(XL, 0, 512, 20, 4.5, 300, true, 100, CAL));
    }

    @Test
    void describesMinutesAndSeconds() {
        assertEquals("≈ 45 s", new TimeEstimate.Estimate(5, 2, 20, 0).describe());
        assertEquals("≈ 3 min 10 s", new TimeEstimate.Estimate(10, 9, 20, 0).describe());
        assertEquals("≈ 2 min", new TimeEstimate.Estimate(0, 6, 20, 0).describe());
    }
}

package studio.pixart.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import studio.pixart.engine.Golden;

/**
 * UniPC options without a golden of their own (solver order 1 and 3, bh1, predict_x0 false,
 * corrector disabled on the first steps) against the golden UniPC trajectory (order 2, bh2) at
 * 20 steps: every variant is an accurate solver of the same ODE, so the end points agree closely.
 */
class UniPcVariantsTest {
    @ParameterizedTest
    @CsvSource({"1, bh2, true, ''", "3, bh2, true, ''", "2, bh1, true, ''", "3, bh1, true, ''", "2, bh2, false, ''",
        "3, bh2, false, ''", "2, bh2, true, '0,1'"})
    void variantsAgreeWithTheGoldenTrajectory(int order, String solverType, boolean predictX0, String disabled) {
        try (Golden g = Golden.load("scheduler-extra/unipc_steps20")) {
            ObjectNode c = (ObjectNode) SchedulerGoldenTest.pixartConfig();
            c.put("solver_order", order).put("solver_type", solverType).put("predict_x0", predictX0);
            if (!predictX0) {
                // ε-prediction needs a final sigma above 0 (see the constructor); the end point is then
                // σ_min = 0.01 instead of 0, still close to the golden's
                c.put("final_sigmas_type", "sigma_min");
                ObjectNode zero = c.deepCopy().put("final_sigmas_type", "zero");
                studio.pixart.engine.io.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                        studio.pixart.engine.io.ConfigException.class,
                        () -> Schedulers.ofClass(UniPcMultistepScheduler.CLASS_NAME, zero));
                assertTrue(e.getMessage().contains("predict_x0"), e.getMessage());
            }
            var arr = c.putArray("disable_corrector");
            for (String d : disabled.isEmpty() ? new String[0] : disabled.split(",")) {
                arr.add(Integer.parseInt(d));
            }
            Scheduler s = Schedulers.ofClass(UniPcMultistepScheduler.CLASS_NAME, c);
            s.setTimesteps(20);
            float[] x = g.floats("noise");
            for (int i = 0; i < 20; i++) {
                float bias = (float) Math.sin((double) s.timestep(i));
                float[] eps = new float[x.length];
                for (int k = 0; k < x.length; k++) {
                    eps[k] = 0.1f * x[k] + bias;
                }
                x = s.step(eps, i, x, NoiseSource.NONE).prevSample();
            }
            float[] ref = g.floats("prev_sample");
            float[] last = java.util.Arrays.copyOfRange(ref, ref.length - x.length, ref.length);
            double rel = Golden.maxRelative(last, x);
            System.out.printf("UniPC order %d %s predict_x0=%s disable_corrector=[%s]: %.2e%n", order, solverType,
                    predictX0, disabled, rel);
            assertTrue(rel < 0.05, "relative difference " + rel);
        }
    }
}

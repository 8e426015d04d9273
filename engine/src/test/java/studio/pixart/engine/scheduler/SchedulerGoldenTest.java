package studio.pixart.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Iterator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.Json;

/** All five schedulers against the golden {@code scheduler/} cases (README §5, §6, §7). */
class SchedulerGoldenTest {
    static final String[] CLASSES = {
        "DPMSolverMultistepScheduler", "DDIMScheduler", "EulerDiscreteScheduler", "LCMScheduler", "SASolverScheduler"
    };
    static final int[] STEPS = {1, 2, 4, 6, 20};

    static JsonNode pixartConfig() {
        return Json.read(Golden.model("tiny-pixart-sigma/scheduler/scheduler_config.json"));
    }

    /** The scheduler exactly as the golden case built it: from_config(PixArt config, overrides). */
    static Scheduler build(Golden g) {
        String cls = g.params().get("scheduler_class").asText();
        String shortName = switch (cls) {
            case "DPMSolverMultistepScheduler" -> "dpm";
            case "DDIMScheduler" -> "ddim";
            case "EulerDiscreteScheduler" -> "euler";
            case "LCMScheduler" -> "lcm";
            default -> "sa";
        };
        Scheduler s = Schedulers.create(shortName, pixartConfig());
        assertEquals(cls, s.className());
        // the overrides the goldens used are exactly the ones create() applies
        JsonNode overrides = g.params().get("from_config_overrides");
        if (shortName.equals("sa")) {
            assertEquals("data_prediction", overrides.get("algorithm_type").asText());
        } else {
            assertEquals(0, overrides.size());
        }
        return s;
    }

    static Stream<Arguments> trajectories() {
        return Arrays.stream(CLASSES).flatMap(c -> Arrays.stream(STEPS).mapToObj(n -> Arguments.of(c, n)));
    }

    @Test
    void betasAndAlphasCumprod() {
        try (Golden g = Golden.load("scheduler/scheduler_common")) {
            NoiseSchedule s = NoiseSchedule.fromConfig(
                    new SchedulerConfig("DPMSolverMultistepScheduler", pixartConfig()), 0.0001, 0.02, "linear");
            Golden.assertCloseModule("betas", g.floats("betas"), s.betas, 1e-6);
            Golden.assertCloseModule("alphas_cumprod", g.floats("alphas_cumprod"), s.alphasCumprod, 1e-6);
            // in practice they match to the last bit
            assertEquals(0.0, Golden.maxDiff(g.floats("betas"), s.betas), "betas bit-exact");
            assertEquals(0.0, Golden.maxDiff(g.floats("alphas_cumprod"), s.alphasCumprod), "alphas_cumprod bit-exact");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "DPMSolverMultistepScheduler", "DDIMScheduler", "EulerDiscreteScheduler", "LCMScheduler", "SASolverScheduler"
    })
    void timestepsTable(String cls) {
        try (Golden g = Golden.load("scheduler/" + cls + "_timesteps_table")) {
            Scheduler s = build(g);
            int count = 0;
            for (JsonNode step : g.params().get("steps")) {
                int n = step.asInt();
                String name = String.format("timesteps_n%02d", n);
                s.setTimesteps(n);
                double[] ts = s.timesteps();
                if (s.integerTimesteps()) {
                    long[] actual = Arrays.stream(ts).mapToLong(v -> (long) v).toArray();
                    Golden.assertExact(cls + " " + name, g.longs(name), actual);
                } else {
                    float[] ref = g.floats(name);
                    float[] actual = new float[ts.length];
                    for (int i = 0; i < ts.length; i++) {
                        actual[i] = (float) ts[i];
                    }
                    assertEquals(ref.length, actual.length, name);
                    assertEquals(0.0, Golden.maxDiff(ref, actual), cls + " " + name + " bit-exact");
                }
                for (int i = 0; i < ts.length; i++) {
                    assertEquals((float) ts[i], s.timestep(i));
                }
                count++;
            }
            assertEquals(50, count);
        }
    }

    /** Hands out the golden noise_draws in order, one step's worth per call. */
    static final class RecordedNoise implements NoiseSource {
        final float[] draws;
        final int perDraw;
        int used;

        RecordedNoise(float[] draws, int perDraw) {
            this.draws = draws;
            this.perDraw = perDraw;
        }

        @Override
        public float[] standardNormal(int length) {
            assertEquals(perDraw, length, "draw size");
            assertTrue((used + 1) * perDraw <= draws.length, "more draws than the reference made");
            return Arrays.copyOfRange(draws, used++ * perDraw, used * perDraw);
        }
    }

    @ParameterizedTest(name = "{0} steps={1}")
    @MethodSource("trajectories")
    void trajectory(String cls, int steps) {
        try (Golden g = Golden.load(String.format("scheduler/%s_steps%02d", cls, steps))) {
            for (boolean recompute : new boolean[] {false, true}) {
                runTrajectory(g, cls, steps, recompute);
            }
        }
    }

    /**
     * Runs the case's loop. With {@code recompute} the fake model
     * eps = 0.1·x_in + float32(sin(float64(t))) is evaluated on our own inputs; otherwise the
     * stored model_output is fed to step().
     */
    private static void runTrajectory(Golden g, String cls, int steps, boolean recompute) {
        String what = cls + " steps=" + steps + (recompute ? " (fake model)" : " (stored model_output)");
        Scheduler s = build(g);
        s.setTimesteps(steps);
        assertEquals(steps, s.numSteps());
        double[] ts = s.timesteps();
        if (s.integerTimesteps()) {
            Golden.assertExact(what + " timesteps", g.longs("timesteps"),
                    Arrays.stream(ts).mapToLong(v -> (long) v).toArray());
        } else {
            float[] actual = new float[ts.length];
            for (int i = 0; i < ts.length; i++) {
                actual[i] = (float) ts[i];
            }
            assertEquals(0.0, Golden.maxDiff(g.floats("timesteps"), actual), what + " timesteps");
        }
        float initSigma = g.floats("init_noise_sigma")[0];
        assertEquals(0.0, Math.abs(initSigma - s.initNoiseSigma()), 1e-6 * Math.max(1, Math.abs(initSigma)),
                what + " init_noise_sigma");
        if (g.has("sigmas")) {
            float[] sig = switch (cls) {
                case "DPMSolverMultistepScheduler" -> ((DpmSolverMultistepScheduler) s).sigmas();
                case "EulerDiscreteScheduler" -> ((EulerDiscreteScheduler) s).sigmas();
                default -> ((SaSolverScheduler) s).sigmas();
            };
            Golden.assertCloseModule(what + " sigmas", g.floats("sigmas"), sig, 1e-6);
        }

        float[] noise = g.floats("noise");
        int size = noise.length;
        float[] x = new float[size];
        for (int k = 0; k < size; k++) {
            x[k] = noise[k] * s.initNoiseSigma();
        }
        Golden.assertCloseRelative(what + " x_start", g.floats("x_start"), x, 1e-6);

        float[] modelInputRef = g.floats("model_input");
        float[] modelOutputRef = g.floats("model_output");
        float[] prevRef = g.floats("prev_sample");
        float[] modelInputs = new float[steps * size];
        float[] modelOutputs = new float[steps * size];
        float[] prevs = new float[steps * size];
        RecordedNoise rn = g.has("noise_draws") ? new RecordedNoise(g.floats("noise_draws"), size) : null;
        NoiseSource source = rn != null ? rn : NoiseSource.NONE;
        for (int i = 0; i < steps; i++) {
            float[] xIn = s.scaleModelInput(x, i);
            System.arraycopy(xIn, 0, modelInputs, i * size, size);
            float[] eps;
            if (recompute) {
                float bias = (float) Math.sin((double) s.timestep(i));
                eps = new float[size];
                for (int k = 0; k < size; k++) {
                    eps[k] = 0.1f * xIn[k] + bias;
                }
            } else {
                eps = Arrays.copyOfRange(modelOutputRef, i * size, (i + 1) * size);
            }
            System.arraycopy(eps, 0, modelOutputs, i * size, size);
            Scheduler.StepResult r = s.step(eps, i, x, source);
            assertEquals(size, r.predOriginalSample().length);
            x = r.prevSample();
            System.arraycopy(x, 0, prevs, i * size, size);
        }
        Golden.assertCloseRelative(what + " model_input", modelInputRef, modelInputs, 1e-4);
        Golden.assertCloseRelative(what + " model_output", modelOutputRef, modelOutputs, 1e-4);
        Golden.assertCloseRelative(what + " prev_sample", prevRef, prevs, 1e-4);
        if (rn != null) {
            assertEquals(rn.draws.length / size, rn.used, what + " number of noise draws");
        }
        assertEquals(cls.equals("LCMScheduler") || cls.equals("SASolverScheduler"), s.needsNoise());
        assertEquals(!cls.equals("EulerDiscreteScheduler"), s.integerTimesteps());
    }
}

package studio.pixart.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
                runTrajectory(g, build(g), cls + " steps=" + steps, steps, recompute);
            }
        }
    }

    /**
     * Runs the case's loop. With {@code recompute} the fake model
     * eps = 0.1·x_in + float32(sin(float64(t))) is evaluated on our own inputs; otherwise the
     * stored model_output is fed to step().
     */
    static double runTrajectory(Golden g, Scheduler s, String label, int steps, boolean recompute) {
        String cls = s.className();
        String what = label + (recompute ? " (fake model)" : " (stored model_output)");
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
            // Karras timesteps come out of log/pow/interpolation in float64 and are then rounded to
            // float32: the reference's libm and ours may differ in the last bit of that float32 (a
            // difference of 6e-5 at t = 555.8); every other float table is bit-exact
            double ulps = label.contains("karras") ? 1 : 0;
            float[] ref = g.floats("timesteps");
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], actual[i], ulps * Math.ulp(ref[i]), what + " timestep " + i);
            }
        }
        float initSigma = g.floats("init_noise_sigma")[0];
        assertEquals(0.0, Math.abs(initSigma - s.initNoiseSigma()), 1e-6 * Math.max(1, Math.abs(initSigma)),
                what + " init_noise_sigma");
        if (g.has("sigmas")) {
            float[] sig = switch (cls) {
                case "DPMSolverMultistepScheduler" -> ((DpmSolverMultistepScheduler) s).sigmas();
                case "EulerDiscreteScheduler" -> ((EulerDiscreteScheduler) s).sigmas();
                case "EulerAncestralDiscreteScheduler" -> ((EulerAncestralDiscreteScheduler) s).sigmas();
                case "UniPCMultistepScheduler" -> ((UniPcMultistepScheduler) s).sigmas();
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
        // LCM draws on every step but the last, so its golden may hold no draws at all (1 step)
        assertEquals(rn != null || cls.equals("LCMScheduler"), s.needsNoise(), what + " needsNoise");
        assertEquals(!cls.startsWith("Euler"), s.integerTimesteps());
        return Golden.maxRelative(prevRef, prevs);
    }

    // ---- samplers people pick in other apps (golden scheduler-extra/, README §9) ----------------

    /** Golden case prefix → sampler name. */
    static final String[][] EXTRA = {
        {"dpmpp2m_karras", "dpm-karras"}, {"dpmpp2m_sde", "dpm-sde"}, {"dpmpp2m_sde_karras", "dpm-sde-karras"},
        {"dpmpp3m", "dpm3"}, {"euler_ancestral", "euler-a"}, {"euler_karras", "euler-karras"},
        {"unipc", "unipc"}, {"unipc_karras", "unipc-karras"},
    };

    static Stream<Arguments> extraTrajectories() {
        return Arrays.stream(EXTRA).flatMap(e -> Stream.of(2, 5, 20).map(n -> Arguments.of(e[0], e[1], n)));
    }

    /** The sampler built as the golden built it: class and from_config overrides. */
    static Scheduler buildExtra(Golden g, String sampler) {
        Scheduler s = Schedulers.create(sampler, pixartConfig());
        assertEquals(g.params().get("scheduler_class").asText(), s.className(), sampler);
        JsonNode overrides = g.params().get("from_config_overrides");
        assertEquals(Json.MAPPER.valueToTree(Schedulers.sampler(sampler).overrides()), overrides, sampler + " overrides");
        return s;
    }

    @ParameterizedTest(name = "{1} steps={2}")
    @MethodSource("extraTrajectories")
    void extraTrajectory(String golden, String sampler, int steps) {
        try (Golden g = Golden.load(String.format("scheduler-extra/%s_steps%02d", golden, steps))) {
            double worst = 0;
            for (boolean recompute : new boolean[] {false, true}) {
                worst = Math.max(worst, runTrajectory(g, buildExtra(g, sampler), sampler + " steps=" + steps, steps, recompute));
            }
            System.out.printf("golden %s steps=%d: max|prev_sample - ref| / max|ref| = %.2e%n", sampler, steps, worst);
        }
    }

    /** The reference timestep tables for 100, 250, 500, 999 and 1000 steps, repeats included. */
    @ParameterizedTest
    @ValueSource(strings = {
        "DPMSolverMultistepScheduler", "DDIMScheduler", "EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler",
        "UniPCMultistepScheduler", "SASolverScheduler", "LCMScheduler"
    })
    void largeTimestepTables(String cls) {
        try (Golden g = Golden.load("scheduler-extra/" + cls + "_timesteps_large")) {
            Scheduler s = Schedulers.ofClass(cls, samplerConfig(cls));
            JsonNode refused = g.params().get("refused");
            int compared = 0;
            for (JsonNode step : g.params().get("steps")) {
                int n = step.asInt();
                if (refused.has(Integer.toString(n))) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(n));
                    assertTrue(e.getMessage().contains(Integer.toString(n)), e.getMessage());
                    continue;
                }
                s.setTimesteps(n);
                String name = "timesteps_n" + n;
                double[] ts = s.timesteps();
                if (s.integerTimesteps()) {
                    Golden.assertExact(cls + " " + name, g.longs(name), Arrays.stream(ts).mapToLong(v -> (long) v).toArray());
                } else {
                    float[] actual = new float[ts.length];
                    for (int i = 0; i < ts.length; i++) {
                        actual[i] = (float) ts[i];
                    }
                    assertEquals(0.0, Golden.maxDiff(g.floats(name), actual), cls + " " + name + " bit-exact");
                }
                compared++;
            }
            assertEquals(cls.equals("LCMScheduler") ? 0 : 5, compared);
        }
    }

    /** The PixArt config with the overrides the golden tables used (SA-Solver: data_prediction). */
    private static JsonNode samplerConfig(String cls) {
        JsonNode c = pixartConfig();
        if (cls.equals("SASolverScheduler")) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) c).put("algorithm_type", "data_prediction");
        }
        return c;
    }

    /**
     * Issue 14 item 5: a step count whose table repeats a timestep is refused, naming the largest
     * count below it without a repeat, for every sampler. The reference tables decide which
     * counts repeat: 1000 does for DPM-Solver++, UniPC and SA-Solver (t = 500 twice), not for
     * DDIM or the Euler family.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dpm", "dpm-sde", "dpm3", "unipc", "sa", "ddim", "euler", "euler-a"})
    void stepCountsWithRepeatedTimestepsAreRefused(String sampler) {
        Scheduler s = Schedulers.create(sampler, pixartConfig());
        String cls = s.className();
        try (Golden g = Golden.load("scheduler-extra/" + cls + "_timesteps_large")) {
            for (JsonNode step : g.params().get("steps")) {
                int n = step.asInt();
                String name = "timesteps_n" + n;
                double[] ref = s.integerTimesteps()
                        ? Arrays.stream(g.longs(name)).asDoubleStream().toArray()
                        : toDoubles(g.floats(name));
                boolean repeats = Arrays.stream(ref).distinct().count() < ref.length;
                if (!repeats) {
                    Schedulers.checkStepCount(sampler, pixartConfig(), n);
                    continue;
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Schedulers.checkStepCount(sampler, pixartConfig(), n));
                // the named count must itself be accepted, and every count between it and n refused
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("without a repeated timestep is (\\d+)")
                        .matcher(e.getMessage());
                assertTrue(m.find(), e.getMessage());
                int ok = Integer.parseInt(m.group(1));
                assertTrue(ok < n, e.getMessage());
                Schedulers.checkStepCount(sampler, pixartConfig(), ok);
                for (int k = ok + 1; k < n; k++) {
                    int kk = k;
                    assertThrows(IllegalArgumentException.class, () -> Schedulers.checkStepCount(sampler, pixartConfig(), kk));
                }
                assertTrue(e.getMessage().contains(sampler) && e.getMessage().contains("t=500"), e.getMessage());
            }
        }
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void karrasSamplersRefuseTheirOwnRepeats() {
        // no reference table: the tables come from our (golden-checked) Karras schedule; the check
        // must name a count whose table is free of repeats and refuse the requested one
        for (String sampler : new String[] {"dpm-karras", "unipc-karras", "euler-karras"}) {
            Scheduler s = Schedulers.create(sampler, pixartConfig());
            for (int n : new int[] {100, 250, 1000}) {
                s.setTimesteps(n);
                boolean repeats = !Double.isNaN(Schedulers.firstRepeat(s.timesteps()));
                if (repeats) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> Schedulers.checkStepCount(sampler, pixartConfig(), n));
                    assertTrue(e.getMessage().contains(sampler), e.getMessage());
                    System.out.println(e.getMessage());
                } else {
                    Schedulers.checkStepCount(sampler, pixartConfig(), n);
                }
            }
        }
    }

    @Test
    void unknownSamplerListsTheAllowedNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.create("dpm++", pixartConfig()));
        for (String name : Schedulers.NAMES) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
        assertEquals(13, Schedulers.NAMES.size());
    }
}

package studio.pixart.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.ConfigException;

/** Config handling, errors and the options the goldens do not exercise. */
class SchedulerBehaviourTest {

    static ObjectNode config(String... keyValueJson) {
        ObjectNode c = ((ObjectNode) SchedulerGoldenTest.pixartConfig()).deepCopy();
        for (int i = 0; i < keyValueJson.length; i += 2) {
            c.set(keyValueJson[i], studio.pixart.engine.io.Json.parse(keyValueJson[i + 1]));
        }
        return c;
    }

    static void assertMessage(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message \"" + e.getMessage() + "\" lacks \"" + p + "\"");
        }
    }

    /** Runs the golden fake model (eps = 0.1·x_in + sin(t)) from seeded noise; returns all step results. */
    static Scheduler.StepResult[] run(Scheduler s, int steps, long seed) {
        s.setTimesteps(steps);
        Random r = new Random(seed);
        float[] x = new float[96];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) r.nextGaussian() * s.initNoiseSigma();
        }
        Random noise = new Random(seed + 1);
        NoiseSource src = n -> {
            float[] z = new float[n];
            for (int k = 0; k < n; k++) {
                z[k] = (float) noise.nextGaussian();
            }
            return z;
        };
        Scheduler.StepResult[] out = new Scheduler.StepResult[s.numSteps()];
        for (int i = 0; i < s.numSteps(); i++) {
            float[] xIn = s.scaleModelInput(x, i);
            float bias = (float) Math.sin(s.timestep(i));
            float[] eps = new float[x.length];
            for (int k = 0; k < x.length; k++) {
                eps[k] = 0.1f * xIn[k] + bias;
            }
            out[i] = s.step(eps, i, x, s.needsNoise() ? src : NoiseSource.NONE);
            x = out[i].prevSample();
        }
        return out;
    }

    static boolean allFinite(float[] a) {
        for (float v : a) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dpm", "ddim", "euler", "lcm", "sa"})
    void stepCountOutOfRangeIsAClearError(String name) {
        Scheduler s = Schedulers.create(name, SchedulerGoldenTest.pixartConfig());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(0)),
                "num_inference_steps must be at least 1, got 0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(-3)), "got -3");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(1001)),
                "num_inference_steps 1001 exceeds");
        s.setTimesteps(1); // still usable afterwards
        assertEquals(1, s.numSteps());
    }

    @Test
    void lcmStepsAboveOriginalInferenceStepsIsAnError() {
        Scheduler s = Schedulers.create("lcm", SchedulerGoldenTest.pixartConfig());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(51)),
                "exceeds original_inference_steps (50)");
        s.setTimesteps(50);
        assertEquals(999, (int) s.timestep(0));
        assertEquals(19, (int) s.timestep(49));
    }

    @Test
    void allFiftyStepsUpToTrainTimestepsWork() {
        for (String name : new String[] {"dpm", "ddim", "euler", "sa"}) {
            Scheduler s = Schedulers.create(name, SchedulerGoldenTest.pixartConfig());
            s.setTimesteps(1000);
            assertEquals(1000, s.numSteps(), name);
            double[] ts = s.timesteps();
            for (int i = 1; i < ts.length; i++) {
                // DPM/SA round linspace(0, 999, n+1): at n=1000 neighbours can coincide, as in diffusers
                boolean strict = name.equals("ddim") || name.equals("euler");
                assertTrue(strict ? ts[i] < ts[i - 1] : ts[i] <= ts[i - 1], name + " timesteps decreasing");
            }
        }
    }

    @Test
    void unsupportedOptionsAreRejectedNotIgnored() {
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("dpm", config("thresholding", "true"))),
                "DPMSolverMultistepScheduler", "thresholding=true", "not supported");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("dpm", config("algorithm_type", "\"dpmsolver\""))),
                "algorithm_type=\"dpmsolver\"", "dpmsolver++, sde-dpmsolver++");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("dpm", config("use_exponential_sigmas", "true"))),
                "use_exponential_sigmas=true");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("dpm", config("variance_type", "\"learned_range\""))),
                "variance_type=\"learned_range\"");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("dpm", config("solver_order", "4"))), "solver_order=4");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("dpm", config("algorithm_type", "\"sde-dpmsolver++\"", "solver_order", "3"))),
                "solver_order=3");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("euler", config("use_beta_sigmas", "true"))),
                "EulerDiscreteScheduler", "use_beta_sigmas=true");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("ddim", config("timestep_spacing", "\"cosine\""))),
                "DDIMScheduler", "timestep_spacing=\"cosine\"", "linspace, leading, trailing");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("lcm", config("beta_schedule", "\"sigmoid\""))),
                "LCMScheduler", "beta_schedule=\"sigmoid\"");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("ddim", config("rescale_betas_zero_snr", "true"))),
                "rescale_betas_zero_snr=true");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("dpm", config("use_karras_sigmas", "true", "use_beta_sigmas", "true"))),
                "only one of");
    }

    @Test
    void malformedValuesAreClearErrors() {
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("dpm", config("solver_order", "\"two\""))),
                "solver_order=\"two\" is invalid, expected an integer");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("euler", config("use_karras_sigmas", "\"yes\""))),
                "use_karras_sigmas=\"yes\" is invalid");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("ddim", config("beta_start", "[1]"))), "beta_start");
        assertMessage(assertThrows(ConfigException.class,
                () -> Schedulers.create("dpm", studio.pixart.engine.io.Json.parse("[]"))), "JSON object");
    }

    @Test
    void classNamesAndShortNames() {
        JsonNode pixart = SchedulerGoldenTest.pixartConfig();
        assertEquals("DPMSolverMultistepScheduler", Scheduler.fromConfig(pixart).className());
        assertEquals("LCMScheduler", Schedulers.create("LCM", pixart).className());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Schedulers.create("heun", pixart)),
                "unknown sampler \"heun\"", "dpm, dpm-karras, dpm-sde, dpm-sde-karras, dpm3, euler, euler-karras, "
                        + "euler-a, unipc, unipc-karras, ddim, lcm, sa");
        assertMessage(assertThrows(ConfigException.class,
                () -> Scheduler.fromConfig(config("_class_name", "\"HeunDiscreteScheduler\""))),
                "HeunDiscreteScheduler", "not supported");
        // SA-Solver does not accept the PixArt algorithm_type unless built through create("sa")
        assertMessage(assertThrows(ConfigException.class,
                () -> Scheduler.fromConfig(config("_class_name", "\"SASolverScheduler\""))),
                "SASolverScheduler", "algorithm_type=\"dpmsolver++\"");
        assertEquals("SASolverScheduler", Schedulers.create("sa", pixart).className());
    }

    @Test
    void keysTheClassDoesNotKnowAreIgnored() {
        // DDIM has no use_karras_sigmas / solver_order: diffusers' from_config ignores them
        Scheduler plain = Schedulers.create("ddim", SchedulerGoldenTest.pixartConfig());
        Scheduler extra = Schedulers.create("ddim", config("use_karras_sigmas", "true", "solver_order", "\"x\""));
        plain.setTimesteps(7);
        extra.setTimesteps(7);
        assertArrayEquals(plain.timesteps(), extra.timesteps());
    }

    @Test
    void protocolErrors() {
        Scheduler s = Schedulers.create("dpm", SchedulerGoldenTest.pixartConfig());
        float[] x = new float[8];
        assertMessage(assertThrows(IllegalStateException.class, () -> s.step(x, 0, x, NoiseSource.NONE)),
                "call setTimesteps");
        s.setTimesteps(4);
        assertThrows(IndexOutOfBoundsException.class, () -> s.step(x, 4, x, NoiseSource.NONE));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> s.step(new float[7], 0, x, NoiseSource.NONE)),
                "7 values");
        s.step(x, 0, x, NoiseSource.NONE);
        assertMessage(assertThrows(IllegalStateException.class, () -> s.step(x, 2, x, NoiseSource.NONE)),
                "expected step 1 but got 2");
        Scheduler lcm = Schedulers.create("lcm", SchedulerGoldenTest.pixartConfig());
        lcm.setTimesteps(2);
        assertMessage(assertThrows(IllegalStateException.class, () -> lcm.step(x, 0, x, NoiseSource.NONE)),
                "needs noise");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dpm", "ddim", "euler", "lcm", "sa"})
    void setTimestepsResetsTheRun(String name) {
        Scheduler s = Schedulers.create(name, SchedulerGoldenTest.pixartConfig());
        Scheduler.StepResult[] first = run(s, 6, 11);
        run(s, 3, 5); // a different run in between, stopped early
        s.setTimesteps(9);
        float[] x = new float[96];
        s.step(x, 0, x, n -> new float[n]); // a half-finished run
        Scheduler.StepResult[] again = run(s, 6, 11);
        for (int i = 0; i < first.length; i++) {
            assertArrayEquals(first[i].prevSample(), again[i].prevSample(), name + " step " + i);
        }
    }

    @Test
    void dpmLastStepReturnsTheCleanEstimate() {
        for (String cfg : new String[] {"\"dpmsolver++\"", "\"sde-dpmsolver++\""}) {
            Scheduler s = Schedulers.create("dpm", config("algorithm_type", cfg));
            for (int n : new int[] {1, 2, 5, 20}) {
                Scheduler.StepResult[] r = run(s, n, n);
                Scheduler.StepResult last = r[r.length - 1];
                assertArrayEquals(last.predOriginalSample(), last.prevSample(), cfg + " n=" + n);
                assertTrue(allFinite(last.prevSample()));
            }
        }
    }

    @Test
    void sdeDpmDrawsNoiseEveryStepAndUsesIt() {
        Scheduler ode = Schedulers.create("dpm", SchedulerGoldenTest.pixartConfig());
        Scheduler sde = Schedulers.create("dpm", config("algorithm_type", "\"sde-dpmsolver++\""));
        assertTrue(sde.needsNoise());
        sde.setTimesteps(5);
        int[] draws = {0};
        float[] x = new float[96];
        Arrays.fill(x, 1f);
        for (int i = 0; i < 5; i++) {
            x = sde.step(x.clone(), i, x, n -> {
                draws[0]++;
                return new float[n];
            }).prevSample();
        }
        assertEquals(5, draws[0]);
        assertNotEquals(Arrays.toString(run(ode, 5, 3)[2].prevSample()), Arrays.toString(run(sde, 5, 3)[2].prevSample()));
    }

    @Test
    void dpmOrdersAndSolverTypesDiffer() {
        float[][] results = new float[4][];
        String[][] variants = {
            {"solver_order", "1"}, {"solver_order", "2"}, {"solver_order", "3"}, {"solver_type", "\"heun\""}
        };
        for (int v = 0; v < variants.length; v++) {
            Scheduler s = Schedulers.create("dpm", config(variants[v]));
            Scheduler.StepResult[] r = run(s, 20, 7);
            results[v] = r[10].prevSample();
            assertTrue(allFinite(r[19].prevSample()));
        }
        for (int a = 0; a < 4; a++) {
            for (int b = a + 1; b < 4; b++) {
                assertNotEquals(Arrays.toString(results[a]), Arrays.toString(results[b]), a + " vs " + b);
            }
        }
    }

    @Test
    void spacingVariants() {
        Scheduler dpm = Schedulers.create("dpm", config("timestep_spacing", "\"trailing\""));
        dpm.setTimesteps(4);
        assertArrayEquals(new double[] {999, 749, 499, 249}, dpm.timesteps());
        dpm = Schedulers.create("dpm", config("timestep_spacing", "\"leading\"", "steps_offset", "1"));
        dpm.setTimesteps(4);
        assertArrayEquals(new double[] {801, 601, 401, 201}, dpm.timesteps());
        Scheduler ddim = Schedulers.create("ddim", config("timestep_spacing", "\"leading\""));
        ddim.setTimesteps(4);
        assertArrayEquals(new double[] {750, 500, 250, 0}, ddim.timesteps());
        Scheduler euler = Schedulers.create("euler", config("timestep_spacing", "\"trailing\""));
        euler.setTimesteps(4);
        assertArrayEquals(new double[] {999, 749, 499, 249}, euler.timesteps());
        // leading: init_noise_sigma is sqrt(σ_max² + 1)
        Scheduler eulerLeading = Schedulers.create("euler", config("timestep_spacing", "\"leading\""));
        eulerLeading.setTimesteps(4);
        float sMax = ((EulerDiscreteScheduler) eulerLeading).sigmas()[0];
        assertEquals((float) Math.sqrt(sMax * sMax + 1f), eulerLeading.initNoiseSigma());
    }

    @Test
    void trailingSpacingCanYieldOneExtraTimestep() {
        // numpy's arange(1000, 0, -1000/61) has 62 entries, the last ≈ 0, so diffusers gets
        // 62 timesteps ending in -1 (DDIM then reads alphas_cumprod[-1]); the loop must use numSteps()
        for (String name : new String[] {"dpm", "ddim", "euler"}) {
            Scheduler s = Schedulers.create(name, config("timestep_spacing", "\"trailing\""));
            s.setTimesteps(61);
            assertEquals(62, s.numSteps(), name);
            assertEquals(-1, s.timestep(61), name);
            Scheduler.StepResult[] r = run(s, 61, 4);
            assertEquals(62, r.length);
            assertTrue(allFinite(r[61].prevSample()), name);
        }
    }

    @Test
    void karrasSigmas() {
        NoiseSchedule train = NoiseSchedule.fromConfig(
                new SchedulerConfig("x", SchedulerGoldenTest.pixartConfig()), 0.0001, 0.02, "linear");
        float[] trainSigmas = train.sigmas();
        for (String name : new String[] {"dpm", "euler", "sa"}) {
            Scheduler s = Schedulers.create(name, config("use_karras_sigmas", "true"));
            s.setTimesteps(20);
            float[] sig = switch (name) {
                case "dpm" -> ((DpmSolverMultistepScheduler) s).sigmas();
                case "euler" -> ((EulerDiscreteScheduler) s).sigmas();
                default -> ((SaSolverScheduler) s).sigmas();
            };
            assertEquals(21, sig.length);
            assertEquals(trainSigmas[999], sig[0], 1e-6 * trainSigmas[999], name + " starts at sigma_max");
            for (int i = 1; i < 20; i++) {
                assertTrue(sig[i] < sig[i - 1], name + " decreasing");
            }
            double[] ts = s.timesteps();
            assertEquals(999, ts[0], 1e-3, name);
            assertTrue(ts[19] < 1, name + " ends near t=0");
            // Karras spacing: sigma^(1/7) is linear in the step index
            double d0 = Math.pow(sig[0], 1 / 7.0) - Math.pow(sig[1], 1 / 7.0);
            double d18 = Math.pow(sig[18], 1 / 7.0) - Math.pow(sig[19], 1 / 7.0);
            assertEquals(d0, d18, 1e-4 * d0, name);
            assertTrue(allFinite(run(s, 20, 1)[19].prevSample()), name);
        }
    }

    @Test
    void betaSchedules() {
        // scaled_linear: sqrt-spaced, the LCMScheduler class default
        NoiseSchedule s = NoiseSchedule.fromConfig(new SchedulerConfig("LCMScheduler",
                studio.pixart.engine.io.Json.parse("{}")), 0.00085, 0.012, "scaled_linear");
        assertEquals(0.00085f, s.betas[0], 1e-9);
        assertEquals(0.012f, s.betas[999], 1e-9);
        assertEquals(Math.pow(Math.sqrt(0.00085) + (Math.sqrt(0.012) - Math.sqrt(0.00085)) * 500 / 999, 2), s.betas[500], 1e-9);
        NoiseSchedule cos = NoiseSchedule.fromConfig(new SchedulerConfig("x",
                config("beta_schedule", "\"squaredcos_cap_v2\"")), 0.0001, 0.02, "linear");
        assertEquals(0.999f, cos.betas[999]);
        assertTrue(cos.alphasCumprod[500] > 0.45 && cos.alphasCumprod[500] < 0.55);
        NoiseSchedule trained = NoiseSchedule.fromConfig(new SchedulerConfig("x",
                config("num_train_timesteps", "3", "trained_betas", "[0.1, 0.2, 0.3]")), 0.0001, 0.02, "linear");
        assertArrayEquals(new float[] {0.9f, 0.9f * 0.8f, (float) (0.9 * 0.8 * 0.7)}, trained.alphasCumprod, 1e-7f);
        assertMessage(assertThrows(ConfigException.class, () -> NoiseSchedule.fromConfig(new SchedulerConfig("x",
                config("trained_betas", "[0.1, 0.2]")), 0.0001, 0.02, "linear")), "trained_betas");
    }

    @Test
    void goldenDdimLastLatentIsTheClippedEstimate() {
        try (Golden g = Golden.load("scheduler/DDIMScheduler_steps04")) {
            Scheduler s = Schedulers.create("ddim", SchedulerGoldenTest.pixartConfig());
            Scheduler.StepResult[] r = run(s, 4, 2);
            Scheduler.StepResult last = r[3];
            assertArrayEquals(last.predOriginalSample(), last.prevSample());
            for (float v : last.prevSample()) {
                assertTrue(Math.abs(v) <= 1f);
            }
        }
    }
}

package studio.pixart.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.SeededNoise;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.scheduler.Scheduler;
import studio.pixart.engine.scheduler.Schedulers;

/**
 * The samplers without a pipeline golden of their own, end to end on the tiny pipeline: the
 * first transformer call must see exactly what the reference pipeline gives the model for a
 * sampler of the same family (Euler family: the noise scaled by σ_max and the input by
 * 1/√(σ²+1), as in the Euler golden; multistep solvers: the raw noise, as in the DPM golden), the
 * first step must be the scheduler's step on the pipeline's own tensors with the stochastic draws
 * continuing the seeded generator after the initial latents (diffusers' randn_tensor with the
 * pipeline's generator), and a seeded run must be reproducible.
 */
class SamplerPipelineTest {
    private static PixArtPipeline pipe;

    @BeforeAll
    static void load() {
        Torch.prepareThread();
        pipe = PixArtPipeline.load(PipelineFolder.open(Golden.model("tiny-pixart-sigma").toString()),
                PipelineOptions.cpu().withTrimPromptPadding(false), null);
    }

    @AfterAll
    static void close() {
        if (pipe != null) {
            pipe.close();
        }
    }

    private record Run(PixArtPipeline.Result result, List<PixArtPipeline.StepState> steps) {}

    private static Run run(GenerationRequest req) {
        List<PixArtPipeline.StepState> steps = new ArrayList<>();
        PixArtPipeline.Result r = pipe.generate(req, new PixArtPipeline.Listener() {
            @Override
            public void onStep(PixArtPipeline.StepState s) {
                steps.add(s);
            }
        }, () -> false);
        return new Run(r, steps);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dpm-karras", "dpm-sde", "dpm-sde-karras", "dpm3", "euler-karras", "euler-a", "unipc",
        "unipc-karras"})
    void firstStepMatchesTheReferenceFamilyAndTheScheduler(String sampler) {
        boolean eulerFamily = sampler.startsWith("euler");
        String golden = eulerFamily ? "pipe_euler_16x24_cfg4.5_5steps" : "pipe_fox_16x16_cfg4.5_4steps";
        try (Golden g = Golden.load("pipeline/" + golden)) {
            GenerationRequest req = withSampler(PipelineGoldenTest.requestFor(g), sampler);
            Run run = run(req);
            int size = run.steps().get(0).noisePred().length;
            // 1. the model's first prediction: same noise, same t = 999, same scaling as the reference
            float[] refPred0 = Arrays.copyOf(g.floats("noise_pred_per_step"), size);
            Golden.assertCloseRelative(sampler + " noise_pred step 0", refPred0, run.steps().get(0).noisePred(), 1e-4);
            assertEquals(999.0, run.steps().get(0).timestep(), 0.0);

            // 2. step 0 redone by hand from the seeded generator: initial noise first, then the step's draws
            Scheduler s = Schedulers.create(sampler, pipe.folder().config("scheduler"));
            s.setTimesteps(req.steps());
            int[] shape = run.steps().get(0).latentShape();
            float[] noise = SeededNoise.randn(req.seed(), shape[0], shape[1], shape[2], shape[3]);
            Golden.assertCloseAbsolute("initial noise", g.floats("initial_noise"), noise, 0);
            float[] x = noise.clone();
            for (int k = 0; k < x.length; k++) {
                x[k] *= s.initNoiseSigma();
            }
            float[] expected = s.step(run.steps().get(0).noisePred(), 0, x, SeededNoise::next).prevSample();
            Golden.assertCloseAbsolute(sampler + " latents after step 0", expected, run.steps().get(0).latents(), 0);

            // 3. a seeded stochastic run is reproducible (the deterministic ones are pinned by step 0 above)
            if (s.needsNoise()) {
                Run again = run(req);
                assertArrayEquals(run.result().trace().finalLatents(), again.result().trace().finalLatents(), sampler);
                assertArrayEquals(run.result().images().get(0).samples(), again.result().images().get(0).samples(), sampler);
            }
            assertEquals(Schedulers.displayName(sampler), GenerationMetadata.samplerLabel(
                    String.valueOf(run.result().metadata().get(0).get("sampler"))));
        }
    }

    @Test
    void stochasticSamplersDrawFromTheSeededStream() {
        // with the same initial noise, different draws inside the loop must change the result
        try (Golden g = Golden.load("pipeline/pipe_fox_16x16_cfg4.5_4steps")) {
            GenerationRequest req = withSampler(PipelineGoldenTest.requestFor(g), "dpm-sde");
            float[] a = run(req).result().trace().finalLatents();
            float[] ode = run(withSampler(req, "dpm")).result().trace().finalLatents();
            assertTrue(Golden.maxDiff(a, ode) > 1e-3, "the SDE variant must differ from the ODE one");
        }
    }

    @Test
    void repeatedTimestepIsRefusedBeforeAnyWork() {
        try (Golden g = Golden.load("pipeline/pipe_fox_16x16_cfg4.5_4steps")) {
            GenerationRequest req = withSteps(PipelineGoldenTest.requestFor(g), 1000);
            List<String> events = new ArrayList<>();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pipe.generate(req,
                    new PixArtPipeline.Listener() {
                        @Override
                        public void onTextEncoded(int tokens, int limit, boolean truncated) {
                            events.add("text");
                        }
                    }, () -> false));
            assertTrue(e.getMessage().contains("t=500") && e.getMessage().contains("is 999"), e.getMessage());
            assertEquals(List.of(), events, "nothing ran");
        }
    }

    private static GenerationRequest withSampler(GenerationRequest r, String sampler) {
        return r.withSampler(sampler);
    }

    private static GenerationRequest withSteps(GenerationRequest r, int steps) {
        return r.withSteps(steps);
    }
}

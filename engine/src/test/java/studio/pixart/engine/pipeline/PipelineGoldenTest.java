package studio.pixart.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.Torch;

/** Every pipeline golden, end to end: prompt → ids → T5 → noise → loop → VAE → resize → image. */
class PipelineGoldenTest {
    static GenerationRequest requestFor(Golden g) {
        return ReferenceCase.request(g.params(), "cpu", "float32");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "pipe_fox_16x16_cfg4.5_4steps", "pipe_astronaut_16x24_neg_6steps", "pipe_batch2_24x16_cfg3_2steps",
            "pipe_nocfg_truncated_20steps", "pipe_2images_msl300_3steps", "pipe_sigma256_bin_h360w200_cfg4.5_3steps",
            "pipe_alpha_bin_h56w96_cfg4.5_2steps", "pipe_ddim_16x24_cfg4.5_5steps", "pipe_euler_16x24_cfg4.5_5steps"})
    void matchesReference(String name) {
        Torch.prepareThread();
        try (Golden g = Golden.load("pipeline/" + name)) {
            GenerationRequest req = requestFor(g);
            PipelineFolder folder = PipelineFolder.open(Golden.model(req.model()).toString());
            // Reference-exact embeddings (padding encoded too), so prompt_embeds compare whole.
            PipelineOptions opts = PipelineOptions.cpu().withTrimPromptPadding(false);
            try (PixArtPipeline pipe = PixArtPipeline.load(folder, opts, null)) {
                List<float[]> latents = new ArrayList<>();
                List<float[]> preds = new ArrayList<>();
                PixArtPipeline.Result r = pipe.generate(req, new PixArtPipeline.Listener() {
                    @Override
                    public void onStep(PixArtPipeline.StepState s) {
                        latents.add(s.latents());
                        preds.add(s.noisePred());
                    }
                }, () -> false);
                PixArtPipeline.Trace t = r.trace();
                Golden.assertExact("prompt ids", g.longs("prompt_input_ids"), t.prompt().inputIds());
                Golden.assertExact("prompt mask", g.longs("prompt_attention_mask"), t.prompt().attentionMask());
                Golden.assertCloseModule("prompt_embeds", g.floats("prompt_embeds"), t.prompt().embeds(), 1e-4);
                if (g.has("negative_input_ids")) {
                    Golden.assertExact("negative ids", g.longs("negative_input_ids"), t.negative().inputIds());
                    Golden.assertExact("negative mask", g.longs("negative_attention_mask"), t.negative().attentionMask());
                    Golden.assertCloseModule("negative_prompt_embeds", g.floats("negative_prompt_embeds"), t.negative().embeds(), 1e-4);
                }
                Golden.assertCloseAbsolute("initial_noise", g.floats("initial_noise"), t.initialNoise(), 1e-6);
                float[] ts = g.floats("timesteps");
                for (int i = 0; i < ts.length; i++) {
                    assertEquals(ts[i], t.timesteps()[i], 1e-3, "timestep " + i);
                }
                Golden.assertCloseRelative("noise_pred_per_step", g.floats("noise_pred_per_step"), concat(preds), 1e-4);
                Golden.assertCloseRelative("latents_per_step", g.floats("latents_per_step"), concat(latents), 1e-4);
                if (g.has("vae_decode_output")) {
                    Golden.assertCloseModule("vae_decode_output", g.floats("vae_decode_output"), t.vaeOutput(), 1e-4);
                }
                float[] image = concat(r.images().stream().map(i -> i.samples()).toList());
                Golden.assertCloseAbsolute("image", g.floats("image"), image, 1e-4);
            }
        }
    }

    static float[] concat(List<float[]> parts) {
        int n = parts.stream().mapToInt(p -> p.length).sum();
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /** The default trimmed prompt encoding (padding zero-filled) gives the reference image too. */
    @ParameterizedTest
    @ValueSource(strings = {"pipe_fox_16x16_cfg4.5_4steps", "pipe_2images_msl300_3steps"})
    void trimmedPromptEncodingGivesTheSameImage(String name) {
        Torch.prepareThread();
        try (Golden g = Golden.load("pipeline/" + name)) {
            GenerationRequest req = requestFor(g);
            PipelineFolder folder = PipelineFolder.open(Golden.model(req.model()).toString());
            try (PixArtPipeline pipe = PixArtPipeline.load(folder, PipelineOptions.cpu(), null)) {
                PixArtPipeline.Result r = pipe.generate(req, null, () -> false);
                Golden.assertCloseRelative("final latents", lastStep(g.floats("latents_per_step"), r.trace().finalLatents().length),
                        r.trace().finalLatents(), 1e-4);
                float[] image = concat(r.images().stream().map(i -> i.samples()).toList());
                Golden.assertCloseAbsolute("image", g.floats("image"), image, 1e-4);
            }
        }
    }

    static float[] lastStep(float[] perStep, int n) {
        return java.util.Arrays.copyOfRange(perStep, perStep.length - n, perStep.length);
    }
}

package studio.pixart.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.Torch;

/**
 * float16 numerics, checked on the CPU so a float16 regression fails without a GPU: every golden
 * pipeline case run with the transformer and T5 in float16 (T5's {@code wo} stays float32 and its
 * hidden states are clamped), and two cases with the transformer in float16 and T5 in float32 (the
 * plan for GPUs too small for T5), against the float32 reference (the goldens, which the float32
 * path matches within 1e-4). The VAE stays float32, as the planner runs it.
 *
 * <p>Per case two bounds: the PSNR of the delivered image, and the largest absolute error of the
 * final latents relative to their largest magnitude (the tiny random models' latents reach
 * ±700…1700, where float16's spacing alone is 0.5–1). Each bound is the value measured when the
 * test was written (printed on every run) with a margin: 6 dB below for the PSNR, twice the
 * relative error (README, GPU section).
 */
class Float16GoldenTest {
    @ParameterizedTest(name = "{0}, T5 {1}")
    @CsvSource({
            // case,                                     T5,      min PSNR dB, max |err| / max |ref|
            "pipe_fox_16x16_cfg4.5_4steps,               float16, 61, 0.0045",
            "pipe_astronaut_16x24_neg_6steps,            float16, 63, 0.006",
            "pipe_batch2_24x16_cfg3_2steps,              float16, 63, 0.0055",
            "pipe_nocfg_truncated_20steps,               float16, 70, 0.0014",
            "pipe_2images_msl300_3steps,                 float16, 69, 0.0028",
            "pipe_sigma256_bin_h360w200_cfg4.5_3steps,   float16, 65, 0.009",
            "pipe_alpha_bin_h56w96_cfg4.5_2steps,        float16, 62, 0.0072",
            "pipe_ddim_16x24_cfg4.5_5steps,              float16, 46, 0.16",
            "pipe_euler_16x24_cfg4.5_5steps,             float16, 64, 0.005",
            "pipe_fox_16x16_cfg4.5_4steps,               float32, 60, 0.0047",
            "pipe_sigma256_bin_h360w200_cfg4.5_3steps,   float32, 67, 0.007"})
    void float16StaysWithinTheBound(String name, String t5Dtype, double minPsnr, double maxRelativeError) {
        Torch.prepareThread();
        try (Golden g = Golden.load("pipeline/" + name)) {
            GenerationRequest req = PipelineGoldenTest.requestFor(g);
            PipelineFolder folder = PipelineFolder.open(Golden.model(req.model()).toString());
            DataType t5 = t5Dtype.equals("float16") ? DataType.FLOAT16 : DataType.FLOAT32;
            PipelineOptions opts = PipelineOptions.cpu().withDtypes(DataType.FLOAT16, t5, DataType.FLOAT32);
            try (PixArtPipeline pipe = PixArtPipeline.load(folder, opts, null)) {
                PixArtPipeline.Result r = pipe.generate(req, null, () -> false);
                float[] latents = r.trace().finalLatents();
                float[] refLatents = PipelineGoldenTest.lastStep(g.floats("latents_per_step"), latents.length);
                double maxErr = 0;
                double maxRef = 0;
                for (int i = 0; i < latents.length; i++) {
                    maxErr = Math.max(maxErr, Math.abs(latents[i] - refLatents[i]));
                    maxRef = Math.max(maxRef, Math.abs(refLatents[i]));
                }
                double relative = maxErr / maxRef;
                float[] image = PipelineGoldenTest.concat(r.images().stream().map(i -> i.samples()).toList());
                double psnr = psnr(g.floats("image"), image);
                System.out.printf(Locale.ROOT, "float16 %-42s T5 %-7s image PSNR %5.1f dB (bound %2.0f), final latents "
                        + "max |err| %.2e of max |ref| %.1f = %.1e (bound %.1e)%n", name, t5Dtype, psnr, minPsnr, maxErr, maxRef,
                        relative, maxRelativeError);
                assertTrue(Double.isFinite(maxErr), "non-finite latents in float16");
                assertTrue(psnr >= minPsnr, name + ": image PSNR " + psnr + " dB < " + minPsnr);
                assertTrue(relative <= maxRelativeError, name + ": final latents max error " + maxErr + " = " + relative
                        + " of their largest magnitude > " + maxRelativeError);
            }
        }
    }

    /** PSNR of images in [0, 1] (∞ when identical). */
    static double psnr(float[] ref, float[] actual) {
        if (ref.length != actual.length) {
            throw new AssertionError("image sizes differ: " + ref.length + " vs " + actual.length);
        }
        double mse = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = ref[i] - actual[i];
            mse += d * d;
        }
        mse /= ref.length;
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(1 / mse);
    }
}

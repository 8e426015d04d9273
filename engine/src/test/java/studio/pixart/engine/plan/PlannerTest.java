package studio.pixart.engine.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.junit.jupiter.api.Test;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.TensorDType;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.poster.PosterPipeline;
import studio.pixart.engine.text.T5Config;
import studio.pixart.engine.text.T5Encoder;
import studio.pixart.engine.transformer.TransformerConfig;
import studio.pixart.engine.vae.RandomVae;

/** The planner's decisions and refusals on fixed machines (no libtorch work, nothing allocated). */
class PlannerTest {
    static final long GIB = 1L << 30;
    /** This build machine: 24 GB RAM, a 6 GB Java heap, no GPU. */
    static final MachineInfo LAPTOP = MachineInfo.cpuOnly(24 * GIB, 16 * GIB, 2, 6 * GIB);

    /** PixArt-Σ 1024 at its published sizes: transformer float16, T5-XXL bfloat16 shards, SDXL VAE float32. */
    static ModelSpec realSigma1024() {
        // PixArt-Σ-XL-2-1024-MS: the XL transformer without PixArt-α's size conditioning
        TransformerConfig tc = new TransformerConfig(16, 72, 4, 8, 28, 1152, true, 128, 2, 1e-6, 2, false, 4096);
        return new ModelSpec("PixArt-Σ 1024px (real size)", false, tc, ModelSpec.transformerParameters(tc), TensorDType.F16,
                T5Config.xxl(), 4_762_310_656L, TensorDType.BF16,
                RandomVae.sdxlLayout(new int[] {128, 256, 512, 512}, 32), 83_653_863L, TensorDType.F32);
    }

    static MachineInfo gpu(long totalGib, long freeGib) {
        return LAPTOP.withGpu(totalGib * GIB, freeGib * GIB, new GpuStatus(GpuStatus.Kind.GPU, "using the test GPU"));
    }

    static JobSpec square(int side) {
        return new JobSpec(side, side, side, side, 1, true, 300, false, false, true);
    }

    @Test
    void transformerParametersMatchThePublishedCheckpoint() {
        // PixArt-Σ-XL-2-1024-MS: 610,856,096 parameters (safetensors header of the published file)
        assertEquals(610_856_096L, ModelSpec.transformerParameters(realSigma1024().transformer()));
        // PixArt-α 1024 adds two 256 → 384 → 384 size MLPs
        assertEquals(610_856_096L + 2 * (256 * 384 + 384 + 384 * 384 + 384),
                ModelSpec.transformerParameters(TransformerConfig.pixArtXl(128)));
    }

    @Test
    void tinyModelParametersComeFromTheCheckpoint() {
        PipelineFolder f = PipelineFolder.open(Golden.model("tiny-pixart-sigma").toString());
        ModelSpec m = ModelSpec.of(f);
        assertEquals(ModelSpec.transformerParameters(m.transformer()), m.transformerParams());
        assertTrue(m.t5Params() > 0 && m.vaeParams() > 0);
    }

    @Test
    void memoryModeFollowsRamAndCanBeForced() {
        assertEquals(MemoryMode.LOW, MemoryMode.auto(8 * GIB));
        assertEquals(MemoryMode.BALANCED, MemoryMode.auto(16 * GIB));
        assertEquals(MemoryMode.BALANCED, MemoryMode.auto(24 * GIB));
        assertEquals(MemoryMode.HIGH, MemoryMode.auto(64 * GIB));
        ExecutionPlan auto = Planner.plan(realSigma1024(), square(1024), LAPTOP, Planner.Overrides.auto());
        assertEquals(MemoryMode.BALANCED, auto.memoryMode());
        assertTrue(auto.memoryModeReason().startsWith("automatic: 24 GB RAM (12 GB – 48 GB)"), auto.memoryModeReason());
        ExecutionPlan low = Planner.plan(realSigma1024(), square(1024), LAPTOP, new Planner.Overrides("auto", "auto", "low"));
        assertEquals(MemoryMode.LOW, low.memoryMode());
        assertEquals("--memory low", low.memoryModeReason());
        assertEquals(T5Encoder.LoadMode.PER_LAYER, low.textEncoderLoadMode());
        assertTrue(low.attentionBudgetBytes() < auto.attentionBudgetBytes());
        assertTrue(low.peak().hostBytes() < auto.peak().hostBytes(), low.peak() + " vs " + auto.peak());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Planner.plan(realSigma1024(), square(1024), LAPTOP, new Planner.Overrides("auto", "auto", "huge")));
        assertTrue(e.getMessage().contains("auto, low, balanced or high") && e.getMessage().contains("huge"), e.getMessage());
    }

    @Test
    void cpuPlanIsFloat32AndFitsA1024ImageOnThisMachine() {
        ExecutionPlan p = Planner.plan(realSigma1024(), square(1024), LAPTOP, Planner.Overrides.auto());
        assertTrue(p.fits(), p.describe());
        assertFalse(p.device().isGpu());
        assertEquals(DataType.FLOAT32, p.dtype());
        assertEquals(DataType.FLOAT32, p.textEncoderDtype());
        assertEquals(DataType.FLOAT32, p.vaeDtype());
        assertTrue(p.releaseTextEncoder());
        // bfloat16 shards computed in float32: T5 read block by block, never a converted 19 GB copy
        ExecutionPlan.Component t5 = p.components().get(0);
        assertEquals("text_encoder", t5.name());
        assertEquals(0, t5.weightBytes());
        assertTrue(t5.workBytes() > 0.5e9 && t5.workBytes() < 1.5e9, t5.toString());
        // the transformer is widened to float32: 2.44 GB resident
        ExecutionPlan.Component tr = p.components().get(1);
        assertEquals(610_856_096L * 4, tr.weightBytes());
        assertFalse(tr.weightsMapped());
        assertTrue(p.peak().hostBytes() < 8e9, "a 1024 px image within 8 GB: " + p.describe());
        assertTrue(p.describe().contains("fits: yes"));
    }

    @Test
    void estimatesGrowWithSizeAndBatch() {
        ModelSpec m = realSigma1024();
        long p512 = Planner.plan(m, square(512), LAPTOP, Planner.Overrides.auto()).peak().hostBytes();
        long p1024 = Planner.plan(m, square(1024), LAPTOP, Planner.Overrides.auto()).peak().hostBytes();
        long p2048 = Planner.plan(m, square(2048), LAPTOP, Planner.Overrides.auto()).peak().hostBytes();
        assertTrue(p512 < p1024 && p1024 < p2048, p512 + " " + p1024 + " " + p2048);
        JobSpec four = new JobSpec(1024, 1024, 1024, 1024, 4, true, 300, false, false, true);
        assertTrue(Planner.plan(m, four, LAPTOP, Planner.Overrides.auto()).peak().hostBytes() > p1024);
    }

    // ------------------------------------------------------------------------------------------
    // Refusals (issue 14 item 4): before any work, with the numbers and the advice

    @Test
    void generate16384IsRefusedWithNumbersAndAdvice() {
        PipelineFolder f = PipelineFolder.open(Golden.model("tiny-pixart-sigma").toString());
        GenerationRequest req = GenerationRequest.of(f.spec(), "a fox").withSize(16384, 16384).withBinning(false);
        ModelSpec m = ModelSpec.of(f);
        ExecutionPlan p = Planner.plan(m, JobSpec.generation(m, req, 300), LAPTOP, Planner.Overrides.auto());
        assertFalse(p.fits());
        assertTrue(p.refusal().matches("needs ~\\d+ GB of memory \\(while denoising\\), this machine has 24 GB"), p.refusal());
        assertTrue(p.advice().contains("a smaller size (about "), p.advice());
        InsufficientMemoryException e = assertThrows(InsufficientMemoryException.class, p::requireFits);
        assertEquals(p.advice(), e.advice());
        assertTrue(e.getMessage().contains(p.refusal()) && e.getMessage().contains(p.advice()));

        // the real-size model too, where the transformer activations alone are ~100 GB
        ExecutionPlan real = Planner.plan(realSigma1024(), square(16384), LAPTOP, Planner.Overrides.auto());
        assertFalse(real.fits());
        long needed = real.peak().hostBytes();
        assertTrue(needed > 50e9, real.describe());
        assertTrue(real.advice().contains("the poster path"), real.advice());
    }

    @Test
    void theSuggestedSmallerSizeFits() {
        ExecutionPlan p = Planner.plan(realSigma1024(), square(16384), LAPTOP, Planner.Overrides.auto());
        java.util.regex.Matcher mt = java.util.regex.Pattern.compile("about (\\d+)×(\\d+) fits").matcher(p.advice());
        assertTrue(mt.find(), p.advice());
        int w = Integer.parseInt(mt.group(1));
        assertEquals(w, Integer.parseInt(mt.group(2)));
        assertTrue(w >= 2048 && w < 16384, p.advice());
        assertTrue(Planner.plan(realSigma1024(), square(w), LAPTOP, Planner.Overrides.auto()).fits());
        assertFalse(Planner.plan(realSigma1024(), square(w + 256), LAPTOP, Planner.Overrides.auto()).fits());
    }

    @Test
    void poster16384IsRefused() {
        PipelineFolder f = PipelineFolder.open(Golden.model("tiny-pixart-sigma").toString());
        GenerationRequest req = GenerationRequest.of(f.spec(), "a lighthouse").withKvCompression(GenerationRequest.KvCompressionMode.AUTO);
        PosterPipeline.Plan poster = PosterPipeline.plan(f, 16384, 16384, 0.35, false, req.kvCompression(), 2);
        ExecutionPlan p = Planner.plan(ModelSpec.of(f), JobSpec.poster(req, poster, 300), LAPTOP, Planner.Overrides.auto());
        assertFalse(p.fits(), p.describe());
        assertTrue(p.refusal().contains("this machine has 24 GB") || p.refusal().contains("Java heap"), p.refusal());
        assertTrue(p.describe().contains("REFUSED"));
        // the real model's 4K wallpaper fits
        ModelSpec real = realSigma1024();
        JobSpec wallpaper = new JobSpec(3840, 2160, 3840, 2160, 1, true, 300, true, true, true);
        assertTrue(Planner.plan(real, wallpaper, LAPTOP, Planner.Overrides.auto()).fits());
    }

    @Test
    void bench100000IsRefused() {
        ModelSpec xl = ModelSpec.transformerOnly(TransformerConfig.pixArtXl(100000 / 8));
        ExecutionPlan p = Planner.plan(xl, JobSpec.bench(100000, 300, false), LAPTOP, new Planner.Overrides("cpu", "float32", "auto"));
        assertFalse(p.fits());
        assertTrue(p.refusal().startsWith("needs ~") && p.refusal().contains("this machine has 24 GB"), p.refusal());
        assertTrue(Planner.plan(ModelSpec.transformerOnly(TransformerConfig.pixArtXl(64)), JobSpec.bench(512, 300, false),
                LAPTOP, Planner.Overrides.auto()).fits());
    }

    @Test
    void heapIsCheckedSeparately() {
        // 6000×6000 from a binned 1024 image: the transformer is small, the Java arrays are not
        MachineInfo smallHeap = MachineInfo.cpuOnly(24 * GIB, 16 * GIB, 2, GIB);
        JobSpec binnedBig = new JobSpec(1024, 1024, 6000, 6000, 1, true, 300, false, false, true);
        ExecutionPlan p = Planner.plan(realSigma1024(), binnedBig, smallHeap, Planner.Overrides.auto());
        assertFalse(p.fits());
        assertTrue(p.refusal().contains("Java heap") && p.advice().contains("-Xmx"), p.refusal() + " / " + p.advice());
    }

    // ------------------------------------------------------------------------------------------
    // GPU decisions (a GPU is described, none is used)

    @Test
    void bigGpuTakesT5InFloat16() {
        ExecutionPlan p = Planner.plan(realSigma1024(), square(1024), gpu(24, 22), Planner.Overrides.auto());
        assertTrue(p.fits(), p.describe());
        assertTrue(p.device().isGpu() && p.textEncoderDevice().isGpu());
        assertEquals(DataType.FLOAT16, p.dtype());
        assertEquals(DataType.FLOAT16, p.textEncoderDtype());
        assertEquals(DataType.FLOAT32, p.vaeDtype());
        assertFalse(p.vaeFloat32Retry());
        // T5 float16 with wo in float32: (4.76 B − 1.01 B) × 2 + 1.01 B × 4 bytes
        ExecutionPlan.Component t5 = p.components().get(0);
        assertEquals((4_762_310_656L - 24L * 10240 * 4096) * 2 + 24L * 10240 * 4096 * 4, t5.weightBytes());
        assertTrue(p.peak().gpuBytes() < 22 * GIB && p.peak().gpuBytes() > 12e9, p.describe());
        assertTrue(p.summary().startsWith("GPU float16"), p.summary());
    }

    @Test
    void twelveGigabyteGpuKeepsT5OnTheCpu() {
        ExecutionPlan p = Planner.plan(realSigma1024(), square(1024), gpu(12, 11), Planner.Overrides.auto());
        assertTrue(p.fits(), p.describe());
        assertTrue(p.device().isGpu());
        assertFalse(p.textEncoderDevice().isGpu());
        assertEquals(DataType.FLOAT32, p.textEncoderDtype());
        assertTrue(p.releaseTextEncoder());
        assertTrue(p.notes().stream().anyMatch(n -> n.startsWith("T5 on the CPU")), p.notes().toString());
        assertTrue(p.summary().contains("T5 on CPU"), p.summary());
    }

    @Test
    void lowMemoryGpuDecodesInFloat16WithARetry() {
        ExecutionPlan p = Planner.plan(realSigma1024(), square(1024), gpu(8, 7), new Planner.Overrides("auto", "auto", "low"));
        assertEquals(DataType.FLOAT16, p.vaeDtype());
        assertTrue(p.vaeFloat32Retry());
        assertTrue(p.describe().contains("float32 retry on NaN/Inf"));
    }

    @Test
    void aJobTooLargeForTheGpuRunsOnTheCpuOrIsRefusedUnderDeviceCuda() {
        ExecutionPlan auto = Planner.plan(realSigma1024(), square(4096), gpu(4, 3), Planner.Overrides.auto());
        assertFalse(auto.device().isGpu(), auto.describe());
        assertTrue(auto.notes().get(0).contains("of GPU memory, the GPU has 3.0 GB free: running on the CPU"), auto.notes().toString());
        ExecutionPlan forced = Planner.plan(realSigma1024(), square(4096), gpu(4, 3), new Planner.Overrides("cuda", "auto", "auto"));
        assertFalse(forced.fits());
        assertTrue(forced.refusal().contains("of GPU memory") && forced.advice().contains("--device cpu"), forced.refusal());
    }

    @Test
    void deviceCudaWithoutAGpuSaysWhy() {
        MachineInfo noDriver = LAPTOP.withGpu(0, 0, GpuStatus.diagnose(new GpuStatus.Probe("cu124", null, false, 0, null, null)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Planner.plan(realSigma1024(), square(1024), noDriver, new Planner.Overrides("cuda", "auto", "auto")));
        assertTrue(e.getMessage().startsWith("device cuda: the GPU cannot be used") && e.getMessage().contains("no NVIDIA driver found"),
                e.getMessage());
        IllegalArgumentException bf16 = assertThrows(IllegalArgumentException.class,
                () -> Planner.plan(realSigma1024(), square(1024), LAPTOP, new Planner.Overrides("auto", "bfloat16", "auto")));
        assertTrue(bf16.getMessage().contains("--dtype bfloat16"), bf16.getMessage());
    }

    @Test
    void cpuFloat16IsAllowedAndSaysItIsSlow() {
        ExecutionPlan p = Planner.plan(realSigma1024(), square(512), LAPTOP, new Planner.Overrides("cpu", "float16", "auto"));
        assertEquals(DataType.FLOAT16, p.dtype());
        assertTrue(p.notes().stream().anyMatch(n -> n.contains("~10× slower")), p.notes().toString());
        assertNull(p.refusal());
        assertEquals(List.of(), Planner.plan(realSigma1024(), square(512), LAPTOP, Planner.Overrides.auto()).notes()
                .stream().filter(n -> n.contains("slower")).toList());
    }
}

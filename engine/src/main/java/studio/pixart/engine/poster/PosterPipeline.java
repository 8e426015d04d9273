package studio.pixart.engine.poster;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import studio.pixart.engine.image.ImageResize;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.ImageToImage;
import studio.pixart.engine.pipeline.PixArtPipeline;
import studio.pixart.engine.pipeline.ResolutionBinning;
import studio.pixart.engine.transformer.TransformerOptions;

/**
 * The high-resolution path for posters and wallpapers. No public PixArt checkpoint is trained
 * above 2K, so instead of stretching a small image: (1) generate the base image at the model's
 * nearest aspect-ratio bin of its largest size class; (2) upscale it to the target in pixel space
 * (Lanczos-3); (3) VAE-encode it (tiled), re-noise to {@code strength} and denoise the remaining
 * steps at the target resolution — memory-bounded attention, and by default at ≥ 3K KV token
 * compression in the upper layers; (4) decode with the tiled VAE and crop to the exact size.
 * A one-pass native generation at the target size is available for checkpoints that can take it.
 */
public final class PosterPipeline {
    public static final double DEFAULT_STRENGTH = 0.35;
    /** Long side from which {@code auto} turns KV compression on for the refinement. */
    public static final int KV_AUTO_LONG_SIDE = 3072;

    public enum Stage { BASE, UPSCALE, REFINE, DECODE }

    /** Progress per stage; {@code done/total} are steps or tiles. */
    public interface Listener {
        void stage(Stage stage, int done, int total);

        /** Each denoising step's state (its x0 estimate feeds live previews); after {@link #stage}. */
        default void onStep(Stage stage, PixArtPipeline.StepState s) {
        }
    }

    /**
     * @param baseWidth/baseHeight generated first (the model's bin)
     * @param workWidth/workHeight the refinement size: the target rounded up to the model's multiple
     * @param refine false when the target is not larger than the base (a resize suffices)
     */
    public record Plan(int targetWidth, int targetHeight, int baseWidth, int baseHeight, int workWidth, int workHeight,
                       boolean refine, boolean nativeOnePass, boolean kvCompression, double strength) {}

    public record Result(RgbImage image, Map<String, Object> metadata, Map<String, Long> timingsMillis, Plan plan) {}

    private PosterPipeline() {}

    public static Plan plan(PipelineFolder folder, int width, int height, double strength, boolean nativeOnePass,
                            GenerationRequest.KvCompressionMode kv, int patchSize) {
        if (width < 64 || height < 64 || width > 16384 || height > 16384) {
            throw new IllegalArgumentException("poster size " + width + "x" + height + " is outside 64..16384 px per side");
        }
        if (!(strength > 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength must be in (0, 1], got " + strength);
        }
        int multiple = folder.vaeScaleFactor() * patchSize;
        int workW = roundUp(width, multiple);
        int workH = roundUp(height, multiple);
        boolean alpha = folder.variant() == PipelineFolder.Variant.ALPHA;
        int baseW;
        int baseH;
        try {
            ResolutionBinning.Bin bin = ResolutionBinning.forSampleSize(folder.transformerSampleSize(), alpha).classify(height, width);
            baseW = bin.width();
            baseH = bin.height();
        } catch (IllegalArgumentException noTable) {
            // no bin table for this sample size: the target's aspect at the model's native area
            double side = folder.defaultImageSize();
            double r = Math.sqrt((double) width / height);
            baseW = Math.max(multiple, roundUp((int) Math.round(side * r), multiple));
            baseH = Math.max(multiple, roundUp((int) Math.round(side / r), multiple));
        }
        boolean refine = nativeOnePass || (long) width * height > 1.1 * baseW * baseH;
        boolean kvOn = switch (kv) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> Math.max(workW, workH) >= KV_AUTO_LONG_SIDE;
        };
        return new Plan(width, height, baseW, baseH, workW, workH, refine, nativeOnePass, kvOn, strength);
    }

    static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    /**
     * Runs a plan with {@code req}'s prompt, seed, steps, guidance and sampler (its size is
     * ignored). Runs on the calling thread, which must own the pipeline.
     */
    public static Result run(PixArtPipeline pipe, GenerationRequest req, Plan plan, Listener listener,
                             BooleanSupplier cancelled) {
        Listener l = listener == null ? (s, d, t) -> { } : listener;
        BooleanSupplier stop = cancelled == null ? () -> false : cancelled;
        Map<String, Long> timings = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        TransformerOptions.KvCompression previous = pipe.transformer().kvCompression();
        try {
            RgbImage work;
            Map<String, Object> meta;
            if (plan.nativeOnePass()) {
                pipe.transformer().setKvCompression(kv(plan));
                GenerationRequest one = single(req).withSize(plan.workWidth(), plan.workHeight()).withBinning(false);
                PixArtPipeline.Result r = pipe.generate(one, stepListener(l, Stage.REFINE), stop);
                timings.putAll(prefixed("native_", r.timingsMillis()));
                work = r.images().get(0);
                meta = r.metadata().get(0);
            } else {
                pipe.transformer().setKvCompression(TransformerOptions.KvCompression.OFF);
                GenerationRequest base = single(req).withSize(plan.baseWidth(), plan.baseHeight()).withBinning(false);
                PixArtPipeline.Result b = pipe.generate(base, stepListener(l, Stage.BASE), stop);
                timings.putAll(prefixed("base_", b.timingsMillis()));
                RgbImage baseImage = b.images().get(0);
                meta = b.metadata().get(0);
                if (!plan.refine()) {
                    work = baseImage;
                } else {
                    check(stop);
                    long tu = System.nanoTime();
                    l.stage(Stage.UPSCALE, 0, 1);
                    RgbImage up = ImageResize.cover(baseImage, plan.workWidth(), plan.workHeight());
                    l.stage(Stage.UPSCALE, 1, 1);
                    timings.put("upscale", (System.nanoTime() - tu) / 1_000_000);
                    check(stop);
                    pipe.transformer().setKvCompression(kv(plan));
                    GenerationRequest refine = single(req).withSize(plan.workWidth(), plan.workHeight()).withBinning(false);
                    PixArtPipeline.Result r = pipe.generate(refine.withImageToImage(ImageToImage.of(up, plan.strength())),
                            stepListener(l, Stage.REFINE), stop);
                    timings.putAll(prefixed("refine_", r.timingsMillis()));
                    work = r.images().get(0);
                }
            }
            RgbImage exact = ImageResize.cover(work, plan.targetWidth(), plan.targetHeight());
            Map<String, Object> m = new LinkedHashMap<>(meta);
            m.put("width", plan.targetWidth());
            m.put("height", plan.targetHeight());
            m.put("poster", Map.of("base", plan.baseWidth() + "x" + plan.baseHeight(),
                    "refined_at", plan.refine() ? plan.workWidth() + "x" + plan.workHeight() : "none",
                    "strength", plan.strength(), "kv_compression", plan.kvCompression(),
                    "mode", plan.nativeOnePass() ? "native" : (plan.refine() ? "refine" : "resize")));
            timings.put("total", (System.nanoTime() - t0) / 1_000_000);
            return new Result(exact, m, timings, plan);
        } finally {
            pipe.transformer().setKvCompression(previous);
        }
    }

    private static TransformerOptions.KvCompression kv(Plan plan) {
        return plan.kvCompression() ? TransformerOptions.KvCompression.upperHalf(2) : TransformerOptions.KvCompression.OFF;
    }

    private static GenerationRequest single(GenerationRequest req) {
        if (req.prompts().size() != 1 || req.numImages() != 1) {
            throw new IllegalArgumentException("a poster is made from one prompt and one image");
        }
        return req;
    }

    private static void check(BooleanSupplier stop) {
        if (stop.getAsBoolean()) {
            throw new CancellationException("cancelled");
        }
    }

    private static Map<String, Long> prefixed(String p, Map<String, Long> m) {
        Map<String, Long> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(p + k, v));
        return out;
    }

    private static PixArtPipeline.Listener stepListener(Listener l, Stage stage) {
        return new PixArtPipeline.Listener() {
            @Override
            public void onStep(PixArtPipeline.StepState s) {
                l.stage(stage, s.index() + 1, s.total());
                l.onStep(stage, s);
            }

            @Override
            public void onDecoding(int done, int total) {
                l.stage(Stage.DECODE, done, total);
            }
        };
    }
}

package studio.pixart.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.EmbeddingCache;
import studio.pixart.engine.pipeline.GenerationMetadata;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.plan.ExecutionPlan;
import studio.pixart.engine.plan.Plans;
import studio.pixart.engine.transformer.TransformerOptions;
import studio.pixart.engine.pipeline.PixArtPipeline;
import studio.pixart.engine.poster.ExportPresets;
import studio.pixart.engine.poster.PosterPipeline;

@Command(name = "poster", description = "Make a poster or wallpaper at an exact size: base image, Lanczos upscale, "
        + "high-resolution refinement, tiled decode, export with DPI and parameters.")
final class PosterCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--list-presets", description = "print the presets and exit")
    boolean listPresets;

    @picocli.CommandLine.Mixin
    GenerationOptions gen;

    final PosterCommand job = this;


    @Option(names = "--preset", paramLabel = "NAME", description = "a preset id or name (see --list-presets)")
    String preset;

    @Option(names = "--dpi", paramLabel = "N", description = "print resolution, 1..10000 (default: the preset's, 300 for print presets)")
    Integer dpi;

    @Option(names = "--strength", description = "how much the refinement may change the upscaled image, in (0, 1] (default 0.35)")
    double strength = PosterPipeline.DEFAULT_STRENGTH;

    @Option(names = "--native", description = "one pass at the target size instead of base + refinement")
    boolean nativeOnePass;

    @Option(names = "--quality", description = "JPEG quality 0..100 (default 95; JPEG only)")
    int quality = 95;

    @Option(names = "--16bit", description = "16-bit PNG/TIFF (not JPEG)")
    boolean sixteenBit;

    @Option(names = "--out", paramLabel = "FILE", description = "FILE.png, FILE.jpg or FILE.tif")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ExportPresets presets = ExportPresets.load();
        // 1. every option and the destination, before any work
        int givenDpi = CliChecks.range("--dpi", job.dpi, 1, ImageExport.Options.MAX_DPI);
        if (listPresets) {
            int dpi = givenDpi > 0 ? givenDpi : presets.defaultDpi();
            presets.all(dpi).forEach(p -> out.println(p.describe() + "  " + p.name()));
            out.flush();
            return 0;
        }
        CliChecks.outputFile("--out", job.out, List.of(".png", ".jpg", ".jpeg", ".tif", ".tiff"));
        CliChecks.range("--quality", job.quality, 0, 100);
        CliChecks.range("--strength", job.strength, 0, false, 1);
        ImageExport.Format format = ImageExport.formatOf(job.out);
        if (job.sixteenBit && format == ImageExport.Format.JPEG) {
            throw new CliChecks.UsageError("--16bit needs a .png or .tif --out; JPEG is 8-bit only");
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--quality") && format != ImageExport.Format.JPEG) {
            err.println("warning: --quality applies to JPEG only; ignored for " + job.out.getFileName());
        }
        if (job.gen.kvCompress.equals("off") && !job.gen.kvCompressGiven()) {
            job.gen.kvCompress = "auto";
        }
        GenerationRequest req = job.gen.toRequest();
        if (req.prompts().size() != 1 || req.numImages() != 1) {
            throw new CliChecks.UsageError("a poster is made from one --prompt and one image (got " + req.prompts().size()
                    + " prompts, --num-images " + req.numImages() + ")");
        }
        int width = req.width();
        int height = req.height();
        int dpi = givenDpi;
        if (job.preset != null) {
            if (width > 0) {
                throw new CliChecks.UsageError("give either --preset or --width/--height");
            }
            ExportPresets.Preset p;
            try {
                p = presets.find(job.preset, givenDpi);
            } catch (IllegalArgumentException e) {
                throw new CliChecks.UsageError("--preset: " + e.getMessage());
            }
            width = p.width();
            height = p.height();
            dpi = p.dpi() > 0 ? p.dpi() : givenDpi;
            if (p.capped()) {
                err.printf("note: %s at %d dpi exceeds %d px; rendering %dx%d (%d dpi)%n", p.name(),
                        givenDpi > 0 ? givenDpi : presets.defaultDpi(), presets.maxLongSide(), width, height, p.dpi());
            }
        } else if (width <= 0) {
            throw new CliChecks.UsageError("give --preset NAME or --width W --height H");
        }
        if (!job.nativeOnePass && (int) (req.steps() * job.strength) < 1) {
            throw new CliChecks.UsageError("--strength " + job.strength + " with --steps " + req.steps()
                    + " leaves no refinement step (the refinement runs ⌊steps × strength⌋ steps): raise --steps to at least "
                    + (int) Math.ceil(1 / job.strength) + " or --strength");
        }
        if (width < 64 || height < 64) {
            throw new CliChecks.UsageError("poster size " + width + "x" + height + " is outside 64..16384 px per side");
        }
        Preflight.check(req.withBinning(false).withSize(0, 0)); // the poster plans its own sizes
        Torch.prepareThread();
        PipelineFolder folder = PipelineFolder.open(req.model(), null, new ModelLocator());
        ExecutionPlan executionPlan = Plans.forPoster(folder, req, width, height, job.strength, job.nativeOnePass);
        if (job.gen.plan) {
            out.print(executionPlan.describe());
            out.flush();
            return executionPlan.fits() ? 0 : 1;
        }
        executionPlan.requireFits();
        err.println("plan: " + executionPlan.summary() + " — " + executionPlan.machine().gpu().message());
        executionPlan.notes().forEach(n -> err.println("note: " + n));
        AtomicBoolean cancel = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            cancel.set(true);
            err.println("\ncancelling…");
            err.flush();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try (PixArtPipeline pipe = Plans.load(folder, executionPlan, req, TransformerOptions.KvCompression.OFF,
                new EmbeddingCache(EmbeddingCache.defaultDir()), (c, p) -> err.printf("loading %s%n", c),
                n -> err.println("note: " + n))) {
            PosterPipeline.Plan plan = PosterPipeline.plan(folder, width, height, job.strength, job.nativeOnePass,
                    req.kvCompression(), pipe.transformer().config().patchSize());
            err.printf("poster %dx%d: base %dx%d → %s%s%n", width, height, plan.baseWidth(), plan.baseHeight(),
                    plan.refine() ? "refine at " + plan.workWidth() + "x" + plan.workHeight() + " (strength " + plan.strength() + ")" : "resize",
                    plan.kvCompression() ? ", KV compression on" : "");
            long t0 = System.nanoTime();
            PosterPipeline.Result r = PosterPipeline.run(pipe, req, plan,
                    (stage, done, total) -> {
                        err.printf("%-7s %d/%d  %.1f s%n", stage.name().toLowerCase(), done, total, (System.nanoTime() - t0) / 1e9);
                        err.flush();
                    }, cancel::get);
            err.println("timings (ms): " + r.timingsMillis());
            long te = System.nanoTime();
            ImageExport.write(r.image(), job.out, GenerationMetadata.parametersText(r.metadata()), Json.write(r.metadata()),
                    new ImageExport.Options(dpi, job.sixteenBit, job.quality / 100f));
            err.printf("export  %s (%.1f s)%ndone in %.1f s%n", job.out, (System.nanoTime() - te) / 1e9, (System.nanoTime() - t0) / 1e9);
            out.println(job.out);
            out.flush();
            return 0;
        } catch (CancellationException e) {
            err.println("cancelled; nothing written");
            return 130;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C in progress
            }
        }
    }
}

package studio.pixart.engine.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.image.RgbImage;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.job.EngineService;
import studio.pixart.engine.job.JobEvent;
import studio.pixart.engine.job.JobHandle;
import studio.pixart.engine.pipeline.GenerationMetadata;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.MatmulRate;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.ImageToImage;
import studio.pixart.engine.pipeline.ResolutionBinning;
import studio.pixart.engine.pipeline.TimeEstimate;
import studio.pixart.engine.plan.ExecutionPlan;
import studio.pixart.engine.plan.Plans;

@Command(name = "generate", description = "Generate images from text (or from a start image, optionally inpainting a masked region), "
        + "as diffusers' PixArt pipelines do for the same settings and seed.")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    GenerationOptions gen;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "output image (.png, .jpg or .tif); several images become FILE-0, FILE-1, …")
    Path out;

    @Option(names = "--preview-dir", paramLabel = "DIR", description = "write each preview as it arrives (step-007-fast.png, step-007-vae.png)")
    Path previewDir;

    @Option(names = "--preview", paramLabel = "KIND", description = "fast, vae or both (default: both when --preview-dir is given)")
    String preview;

    @Option(names = "--init-image", paramLabel = "FILE", description = "start from this image (image to image; PNG, JPEG, …); "
            + "the output keeps its size unless --width/--height or --aspect are given")
    Path initImage;

    @Option(names = "--strength", paramLabel = "S", description = "with --init-image: 0 keeps the image, 1 repaints it all "
            + "(default 0.8, or 1.0 with --mask, as diffusers' img2img and inpainting pipelines)")
    Double strength;

    @Option(names = "--mask", paramLabel = "FILE", description = "with --init-image: inpaint where this image (same size) is white, keep where black")
    Path mask;

    @Option(names = "--per-image-seeds", description = "image k of a batch uses seed + k from its own generator, so each can be "
            + "made again alone (default: one generator for the batch, as a diffusers call with one torch.Generator)")
    boolean perImageSeeds;

    static final List<String> IMAGE_EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".tif", ".tiff");

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        // 1. every option and every destination, before any work
        GenerationRequest.PreviewMode pm = GenerationRequest.PreviewMode.NONE;
        if (previewDir != null) {
            pm = preview == null ? GenerationRequest.PreviewMode.BOTH
                    : GenerationRequest.PreviewMode.valueOf(CliChecks.oneOf("--preview", preview, List.of("fast", "vae", "both")).toUpperCase());
            CliChecks.outputFolder("--preview-dir", previewDir);
        } else if (preview != null) {
            throw new CliChecks.UsageError("--preview needs --preview-dir");
        }
        GenerationRequest req = gen.toRequest().withPreview(pm).withImageToImage(imageToImage());
        if (perImageSeeds) {
            req = req.withSeedMode(GenerationRequest.SeedMode.PER_IMAGE);
        }
        if (gen.plan) {
            PipelineFolder folder = PipelineFolder.open(req.model(), null, new ModelLocator());
            ExecutionPlan plan = Plans.forGeneration(folder, req);
            spec.commandLine().getOut().print(plan.describe());
            if (!plan.usesGpu() && plan.fits()) {
                spec.commandLine().getOut().println(expectedTimeLine(folder, req));
            }
            spec.commandLine().getOut().flush();
            return plan.fits() ? 0 : 1;
        }
        CliChecks.extension("--out", out, IMAGE_EXTENSIONS);
        List<Path> targets = targets(req);
        for (Path t : targets) {
            CliChecks.outputFile("--out", t, IMAGE_EXTENSIONS);
        }
        Preflight.check(req);
        if (previewDir != null) {
            Files.createDirectories(previewDir);
        }
        try (EngineService engine = new EngineService()) {
            AtomicReference<JobHandle> handle = new AtomicReference<>();
            Thread hook = new Thread(() -> {
                JobHandle h = handle.get();
                if (h != null && h.state() != JobHandle.State.FINISHED) {
                    err.println("\ncancelling…");
                    err.flush();
                    h.cancel();
                    try {
                        h.done().get();
                    } catch (InterruptedException | ExecutionException ignored) {
                        // exiting anyway
                    }
                }
            }, "pixart-ctrl-c");
            Runtime.getRuntime().addShutdownHook(hook);
            handle.set(engine.submit(req, e -> report(e, err)));
            JobEvent end = handle.get().done().get();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C in progress: the hook reports
            }
            if (end instanceof JobEvent.Failed f) {
                err.println("error: " + f.message());
                err.println("advice: " + f.advice());
                return 1;
            }
            if (end instanceof JobEvent.Cancelled c) {
                err.println("cancelled at step " + c.atStep() + "; nothing written");
                return 130;
            }
            JobEvent.Finished fin = (JobEvent.Finished) end;
            // all images or none: each is written to a temp file, then all are moved into place
            List<ImageExport.Output> files = new ArrayList<>();
            for (int i = 0; i < fin.images().size(); i++) {
                Map<String, Object> meta = fin.metadata().get(i);
                files.add(new ImageExport.Output(fin.images().get(i), targets.get(i), GenerationMetadata.parametersText(meta),
                        Json.write(meta), ImageExport.Options.defaults()));
            }
            ImageExport.writeAll(files);
            List<Path> written = targets;
            err.printf("done in %.1f s (%s)%n", fin.timings().get("total").toMillis() / 1000.0, timingText(fin));
            written.forEach(p -> spec.commandLine().getOut().println(p));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /**
     * "expected time on this CPU: ≈ 3 min 10 s per image (…)": {@link TimeEstimate} for the generated
     * size (after binning), scaled by this machine's measured matmul rate. The studio shows the same
     * under its size picker.
     */
    static String expectedTimeLine(PipelineFolder folder, GenerationRequest req) {
        int[] s = ResolutionBinning.sizes(folder.transformerSampleSize(), folder.variant() == PipelineFolder.Variant.ALPHA,
                folder.vaeScaleFactor(), req);
        double gflops = MatmulRate.gflops(2048, 3);
        TimeEstimate.Estimate e = TimeEstimate.estimate(folder, s[3], s[2], req.steps(), req.guidance(), false, gflops);
        return String.format("expected time on this CPU: %s per image (%d×%d, %d steps%s: text %.0f s, %.1f s/step, decode %.0f s; "
                        + "matmul %.0f GFLOP/s here)", e.describe(), s[3], s[2], req.steps(), req.guidance() > 1 ? ", CFG" : ", no CFG",
                e.textSeconds(), e.secondsPerStep(), e.decodeSeconds(), gflops);
    }

    /** FILE for one image; FILE-0, FILE-1, … (prompt-major) for several. */
    private List<Path> targets(GenerationRequest req) {
        int n = req.prompts().size() * req.numImages();
        List<Path> t = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            t.add(n == 1 ? out : numbered(out, i));
        }
        return t;
    }

    /** The start image, strength and mask of the options, every file read and checked before any work. */
    ImageToImage imageToImage() {
        if (initImage == null) {
            if (strength != null || mask != null) {
                throw new CliChecks.UsageError((mask != null ? "--mask" : "--strength") + " needs --init-image FILE");
            }
            return null;
        }
        double s = strength != null ? strength : (mask != null ? 1.0 : 0.8);
        if (!(s >= 0 && s <= 1)) {
            throw new CliChecks.UsageError("--strength must be between 0 and 1, got " + strength);
        }
        RgbImage image = readImage(initImage, "--init-image");
        RgbImage m = mask == null ? null : readImage(mask, "--mask");
        if (m != null && (m.width() != image.width() || m.height() != image.height())) {
            throw new CliChecks.UsageError("--mask " + mask + " is " + m.width() + "x" + m.height() + " but --init-image "
                    + initImage + " is " + image.width() + "x" + image.height() + ": the mask must have the image's size");
        }
        return new ImageToImage(image, s, m);
    }

    static RgbImage readImage(Path file, String option) {
        if (!Files.isRegularFile(file)) {
            throw new CliChecks.UsageError(option + " " + file + ": no such file");
        }
        if (!Files.isReadable(file)) {
            throw new CliChecks.UsageError(option + " " + file + ": not readable (permissions)");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new CliChecks.UsageError(option + " " + file + ": cannot be read as an image: " + e.getMessage(), e);
        }
        if (img == null) {
            throw new CliChecks.UsageError(option + " " + file + ": not an image this program can read (PNG, JPEG, BMP, GIF, TIFF)");
        }
        return RgbImage.fromBufferedImage(img);
    }

    static Path numbered(Path out, int i) {
        String name = out.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return out.resolveSibling(name.substring(0, dot) + "-" + i + name.substring(dot));
    }

    static String timingText(JobEvent.Finished fin) {
        StringBuilder sb = new StringBuilder();
        fin.timings().forEach((k, v) -> {
            if (!k.equals("total")) {
                sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ').append(String.format("%.2f s", v.toMillis() / 1000.0));
            }
        });
        return sb.toString();
    }

    private void report(JobEvent e, PrintWriter err) {
        if (e instanceof JobEvent.LoadingModel l) {
            err.printf("loading %s (%.0f%%)%n", l.component(), l.progress() * 100);
        } else if (e instanceof JobEvent.TextEncoded t) {
            err.printf("prompt: %d / %d tokens%s%n", t.tokens(), t.limit(),
                    t.truncated() ? " — TRUNCATED, the end of the prompt is ignored" : "");
        } else if (e instanceof JobEvent.Step s) {
            err.printf("step %d/%d  t=%.2f  elapsed %.1f s  eta %.1f s%n", s.step(), s.total(), s.timestep(),
                    s.elapsed().toMillis() / 1000.0, s.eta().toMillis() / 1000.0);
        } else if (e instanceof JobEvent.Decoding d) {
            err.printf("decoding %d/%d%n", d.tile(), d.tiles());
        } else if (e instanceof JobEvent.Notice n) {
            err.println(n.message().startsWith("plan: ") ? n.message() : "note: " + n.message());
        } else if (e instanceof JobEvent.Preview p) {
            writePreview(p, err);
        }
        err.flush();
    }

    private void writePreview(JobEvent.Preview p, PrintWriter err) {
        if (previewDir == null) {
            return;
        }
        Path f = previewDir.resolve(String.format("step-%03d-%s.png", p.step(), p.kind().name().toLowerCase()));
        try {
            ImageExport.write(p.image(), f, null, null, ImageExport.Options.defaults());
        } catch (IOException ex) {
            err.println("warning: cannot write preview " + f + ": " + ex.getMessage());
        }
    }

}

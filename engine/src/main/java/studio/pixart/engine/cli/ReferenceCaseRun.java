package studio.pixart.engine.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.GpuMemoryMonitor;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.PipelineOptions;
import studio.pixart.engine.pipeline.PixArtPipeline;
import studio.pixart.engine.pipeline.ReferenceCase;

/**
 * {@code pixart bench --goldens DIR}: every reference pipeline case of a golden folder, end to end
 * on a chosen device and dtype, with its errors against the reference (golden README rules: prompt
 * embeddings max|Δ|/max(1, max|ref|), final latents max|Δ|/max|ref|, image max|Δ| in [0, 1]).
 * float32 must meet the golden tests' 1e-4; float16 is held to the image rule of the project (one
 * 8-bit level), its other errors are reported. Prompts are encoded with their padding, as the
 * reference does, so the embeddings compare whole.
 */
final class ReferenceCaseRun {
    private ReferenceCaseRun() {}

    /** Runs every case (or those whose name contains {@code nameContains}); 0 when all meet their rule, 1 otherwise. */
    static int runAll(Path goldenRoot, String nameContains, String device, String dtype, PrintWriter out) {
        List<Path> cases = ReferenceCase.list(goldenRoot).stream()
                .filter(p -> nameContains == null || p.getFileName().toString().contains(nameContains)).toList();
        if (cases.isEmpty()) {
            throw new IllegalArgumentException("--cases " + nameContains + ": no reference pipeline case of "
                    + goldenRoot + " has that in its name");
        }
        Torch.prepareThread();
        PipelineOptions opts = PipelineOptions.on(device, dtype).withTrimPromptPadding(false);
        boolean half = opts.dtype() == ai.djl.ndarray.types.DataType.FLOAT16;
        String dtName = half ? "float16" : "float32";
        out.printf("reference pipeline cases of %s on %s in %s (libtorch %s)%n", goldenRoot, opts.device(), dtName, Torch.version());
        out.printf("%-44s %-6s %-8s %8s %11s %11s %11s %7s  %s%n", "case", "device", "dtype", "seconds",
                "embeds err", "latents err", "image err", "levels", "verdict");
        Map<Path, PixArtPipeline> pipelines = new LinkedHashMap<>();
        int failed = 0;
        try (GpuMemoryMonitor gpu = GpuMemoryMonitor.start(opts.device())) {
            for (Path c : cases) {
                try (ReferenceCase rc = ReferenceCase.open(c)) {
                    PixArtPipeline pipe = pipelines.computeIfAbsent(rc.pipelineFolder(),
                            p -> PixArtPipeline.load(PipelineFolder.open(p.toString()), opts, null));
                    GenerationRequest req = rc.request(device, dtype).withModel(rc.pipelineFolder().toString());
                    long t0 = System.nanoTime();
                    PixArtPipeline.Result r = pipe.generate(req, null, () -> false);
                    double sec = (System.nanoTime() - t0) / 1e9;
                    ReferenceCase.Errors e = rc.errors(r);
                    boolean ok = half ? e.imageWithinOneLevel() : e.withinFloat32Rules();
                    if (!ok) {
                        failed++;
                    }
                    out.printf("%-44s %-6s %-8s %8.2f %11.2e %11.2e %11.2e %7.2f  %s%n", rc.name(),
                            opts.device().isGpu() ? "cuda" : "cpu", dtName, sec, e.promptEmbeds(), e.latents(), e.image(),
                            e.image() * 255, ok ? "ok" : (half ? "FAIL (image > 1/255)" : "FAIL (> 1e-4)"));
                } catch (RuntimeException ex) {
                    failed++;
                    out.printf("%-44s %-6s %-8s  error: %s%n", c.getFileName().toString().replaceFirst("\\.json$", ""),
                            opts.device().isGpu() ? "cuda" : "cpu", dtName,
                            PixArtCli.describe(ex));
                }
                out.flush();
            }
            if (opts.device().isGpu()) {
                out.printf("peak GPU memory: %s%n", gpu.describe());
            }
        } finally {
            pipelines.values().forEach(PixArtPipeline::close);
        }
        out.printf("%d of %d cases within their rule (%s)%n", cases.size() - failed, cases.size(),
                half ? "float16: image within 1/255" : "float32: embeddings, latents and image within 1e-4");
        out.flush();
        return failed == 0 ? 0 : 1;
    }
}

package studio.pixart.engine.poster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.plugins.tiff.BaselineTIFFTagSet;
import javax.imageio.plugins.tiff.TIFFDirectory;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.cli.PixArtCli;
import studio.pixart.engine.image.ImageExport;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.PipelineOptions;
import studio.pixart.engine.pipeline.PixArtPipeline;

/**
 * The 4K path end to end through the CLI, with the tiny PixArt-Σ pipeline whose VAE down-samples
 * 8× (real layout, random weights): base at the 256-px bin, Lanczos upscale, VAE encode (tiled),
 * one refinement step at the full target size with KV compression, tiled decode, export.
 */
class PosterEndToEndTest {
    static final String MODEL = Golden.model("tiny-pixart-sigma-256").toString();

    @TempDir
    Path dir;

    static String[] args(String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("poster", "--model", MODEL, "--prompt", "a lighthouse at night",
                "--steps", "2", "--strength", "0.5", "--guidance", "1", "--max-sequence-length", "16", "--seed", "5"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    static String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PixArtCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        return err.toString();
    }

    @Test
    void wallpaper4kPng() throws IOException {
        Path f = dir.resolve("wall.png");
        String log = run(args("--preset", "wallpaper-4k", "--dpi", "96", "--out", f.toString()));
        assertTrue(log.contains("refine at 3840x2160") && log.contains("KV compression on"), log);
        assertTrue(log.contains("decode") && log.contains("export"), log);
        var img = ImageIO.read(f.toFile());
        assertEquals(3840, img.getWidth());
        assertEquals(2160, img.getHeight());
        Map<String, String> text = ImageExport.readPngText(f);
        assertTrue(text.get("parameters").startsWith("a lighthouse at night"), text.toString());
        assertTrue(text.get("parameters").contains("Size: 3840x2160"), text.get("parameters"));
        assertTrue(text.get("pixart-studio").contains("\"refined_at\""), text.get("pixart-studio"));
        try (ImageInputStream iis = ImageIO.createImageInputStream(f.toFile())) {
            ImageReader r = ImageIO.getImageReaders(iis).next();
            r.setInput(iis);
            IIOMetadataNode root = (IIOMetadataNode) r.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
            IIOMetadataNode phys = (IIOMetadataNode) root.getElementsByTagName("pHYs").item(0);
            assertEquals("3780", phys.getAttribute("pixelsPerUnitXAxis")); // 96 dpi
        }
    }

    @Test
    void a4At300DpiTiff() throws IOException {
        Path f = dir.resolve("a4.tif");
        run(args("--preset", "poster-a4", "--out", f.toString()));
        try (ImageInputStream iis = ImageIO.createImageInputStream(f.toFile())) {
            ImageReader r = ImageIO.getImageReaders(iis).next();
            r.setInput(iis);
            assertEquals(2480, r.getWidth(0));
            assertEquals(3508, r.getHeight(0));
            TIFFDirectory d = TIFFDirectory.createFromMetadata(r.getImageMetadata(0));
            assertEquals(300, d.getTIFFField(BaselineTIFFTagSet.TAG_X_RESOLUTION).getAsRational(0)[0]);
            assertTrue(d.getTIFFField(BaselineTIFFTagSet.TAG_IMAGE_DESCRIPTION).getAsString(0).startsWith("a lighthouse"));
        }
    }

    @Test
    void cancelDuringRefinementStopsAndWritesNothing() {
        Torch.prepareThread();
        PipelineFolder folder = PipelineFolder.open(MODEL);
        try (PixArtPipeline pipe = PixArtPipeline.load(folder, PipelineOptions.cpu(), null)) {
            GenerationRequest req = new GenerationRequest(MODEL, List.of("a lighthouse"), List.of(), 1, 4, 1.0, "dpm",
                    0, 0, 16, false, 1, "cpu", "float32", GenerationRequest.PreviewMode.NONE,
                    GenerationRequest.KvCompressionMode.OFF, GenerationRequest.SeedMode.BATCH, null, List.of(), "auto");
            PosterPipeline.Plan plan = PosterPipeline.plan(folder, 1024, 576, 0.5, false,
                    GenerationRequest.KvCompressionMode.OFF, 2);
            AtomicBoolean cancel = new AtomicBoolean();
            List<String> seen = new java.util.ArrayList<>();
            assertThrows(CancellationException.class, () -> PosterPipeline.run(pipe, req, plan, (stage, done, total) -> {
                seen.add(stage + " " + done);
                if (stage == PosterPipeline.Stage.UPSCALE && done == 1) {
                    cancel.set(true);
                }
            }, cancel::get));
            assertTrue(seen.stream().noneMatch(s -> s.startsWith("REFINE")), "no refinement step ran: " + seen);
            // the pipeline is still usable, with KV compression restored
            assertEquals(pipe.transformer().options().kvCompression(), pipe.transformer().kvCompression());
        }
    }

    @Test
    void unwritableDestinationIsAClearError() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        StringWriter err = new StringWriter();
        int code = PixArtCli.run(args("--width", "64", "--height", "64", "--out", file.resolve("p.png").toString()),
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertTrue(code != 0);
        assertTrue(err.toString().contains("cannot create folder"), err.toString());
    }
}

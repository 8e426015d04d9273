package studio.pixart.engine.job;

import java.nio.file.Path;
import studio.pixart.engine.image.ImageExport;

/**
 * What a poster job makes from a generation request: the exact target size, how much the
 * high-resolution refinement may change the upscaled base ({@code strength}, see
 * {@link studio.pixart.engine.poster.PosterPipeline}), one native pass instead, and where to write
 * the file ({@code out} null = only deliver the image; the format follows its extension; the DPI
 * written into it is {@code export.dpi()}).
 */
public record PosterSpec(int width, int height, double strength, boolean nativeOnePass, Path out,
                         ImageExport.Options export) {
    public PosterSpec {
        if (export == null) {
            export = ImageExport.Options.defaults();
        }
        if (out != null) {
            ImageExport.check(out, export); // an unknown extension or 16-bit JPEG fails at submit, not after the render
        }
    }
}

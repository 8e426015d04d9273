package studio.pixart.app.model;

import java.util.ArrayList;
import java.util.List;

/** A size class: the side of the square with the same pixel count (512, 1024, 2K). */
public record SizeClass(String label, int side) {
    public static final List<SizeClass> STANDARD = List.of(
            new SizeClass("512", 512), new SizeClass("1024", 1024), new SizeClass("2K", 2048));

    /**
     * The classes a model supports: the standard ones up to its native size (a 1024 model does
     * 512 and 1024; PixArt-Σ 2K does all three); a model smaller than 512 (256 px, the tiny test
     * pipelines) gets its native size only. No model: all, so a prompt can be prepared anyway.
     */
    public static List<SizeClass> supportedBy(ModelInfo model) {
        if (model == null) {
            return STANDARD;
        }
        List<SizeClass> out = new ArrayList<>();
        for (SizeClass c : STANDARD) {
            if (c.side <= model.nativeSize()) {
                out.add(c);
            }
        }
        if (out.isEmpty()) {
            out.add(new SizeClass(model.nativeSize() + "", model.nativeSize()));
        }
        return out;
    }
}

package studio.pixart.engine.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import studio.pixart.engine.io.Json;

/**
 * PixArt's aspect-ratio bins: a requested size snaps to the bin whose ratio key is closest to
 * height/width (first-listed wins a tie), generation runs at the bin's size, and the image is
 * resized and center-cropped back at the end. The table is chosen by the transformer's sample size
 * (256 → 2048 table, Σ only; 128 → 1024; 64 → 512; 32 → 256). Tables in
 * {@code aspect_ratio_bins.json} are the reference pipeline's constants.
 */
public final class ResolutionBinning {
    public record Bin(String key, int height, int width) {
        public double ratio() {
            return Double.parseDouble(key);
        }
    }

    private final String tableName;
    private final List<Bin> bins;

    private ResolutionBinning(String tableName, List<Bin> bins) {
        this.tableName = tableName;
        this.bins = bins;
    }

    private static JsonNode tables;

    private static synchronized JsonNode tables() {
        if (tables == null) {
            try (InputStream in = ResolutionBinning.class.getResourceAsStream("/aspect_ratio_bins.json")) {
                tables = Json.MAPPER.readTree(in);
            } catch (IOException | NullPointerException e) {
                throw new IllegalStateException("aspect_ratio_bins.json missing from the engine jar", e);
            }
        }
        return tables;
    }

    /** The table for a transformer sample size; {@code alpha} pipelines have no 2048 table. */
    public static ResolutionBinning forSampleSize(int sampleSize, boolean alpha) {
        String name = switch (sampleSize) {
            case 256 -> alpha ? null : "ASPECT_RATIO_2048_BIN";
            case 128 -> "ASPECT_RATIO_1024_BIN";
            case 64 -> "ASPECT_RATIO_512_BIN";
            case 32 -> "ASPECT_RATIO_256_BIN";
            default -> null;
        };
        if (name == null) {
            throw new IllegalArgumentException("resolution binning is not available for transformer sample_size "
                    + sampleSize + (alpha ? " (PixArt-α)" : "") + "; use --no-binning");
        }
        List<Bin> bins = new ArrayList<>();
        for (JsonNode b : tables().get(name).get("bins")) {
            bins.add(new Bin(b.get(0).asText(), b.get(1).asInt(), b.get(2).asInt()));
        }
        return new ResolutionBinning(name, List.copyOf(bins));
    }

    public String tableName() {
        return tableName;
    }

    public List<Bin> bins() {
        return bins;
    }

    /** The bin for a requested size: smallest |key − height/width|, the first listed on a tie. */
    public Bin classify(int height, int width) {
        double ar = (double) height / width;
        Bin best = null;
        double bestDiff = Double.POSITIVE_INFINITY;
        for (Bin b : bins) {
            double d = Math.abs(b.ratio() - ar);
            if (d < bestDiff) {
                bestDiff = d;
                best = b;
            }
        }
        return best;
    }

    /**
     * {requested height, requested width, generated height, generated width} of a request: a size
     * of 0 is the start image's (image to image) or the model's default ({@code sampleSize × vaeScale});
     * with binning the image is generated at the nearest bin and resized back.
     */
    public static int[] sizes(int sampleSize, boolean alpha, int vaeScale, GenerationRequest req) {
        // Image to image without a size keeps the start image's size.
        ImageToImage start = req.imageToImage();
        int reqH = req.height() > 0 ? req.height() : start != null ? start.image().height() : sampleSize * vaeScale;
        int reqW = req.width() > 0 ? req.width() : start != null ? start.image().width() : sampleSize * vaeScale;
        if (!req.binning()) {
            return new int[] {reqH, reqW, reqH, reqW};
        }
        Bin bin = forSampleSize(sampleSize, alpha).classify(reqH, reqW);
        return new int[] {reqH, reqW, bin.height(), bin.width()};
    }

    /** The size the image is resized to before the center crop: truncated, may exceed the request. */
    public static int[] resizedSize(int binHeight, int binWidth, int reqHeight, int reqWidth) {
        double scale = Math.max((double) reqHeight / binHeight, (double) reqWidth / binWidth);
        return new int[] {(int) (binHeight * scale), (int) (binWidth * scale)};
    }
}

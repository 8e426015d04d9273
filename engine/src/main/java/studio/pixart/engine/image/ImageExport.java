package studio.pixart.engine.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferUShort;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.plugins.tiff.BaselineTIFFTagSet;
import javax.imageio.plugins.tiff.TIFFDirectory;
import javax.imageio.plugins.tiff.TIFFField;
import javax.imageio.plugins.tiff.TIFFTag;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import studio.pixart.engine.io.AtomicFiles;

/**
 * Writes images with their generation parameters and print resolution, atomically:
 * PNG (8 or 16 bit; {@code tEXt parameters}, {@code iTXt pixart-studio} JSON, {@code pHYs}, {@code sRGB}),
 * JPEG (JFIF density, EXIF UserComment with the parameters), TIFF (XResolution/YResolution,
 * ImageDescription). The format follows the file extension.
 */
public final class ImageExport {
    public enum Format { PNG, JPEG, TIFF }

    /** @param dpi 0 = none written; @param sixteenBit PNG/TIFF only; @param jpegQuality 0..1 */
    public record Options(int dpi, boolean sixteenBit, float jpegQuality) {
        /** The largest print resolution written (pHYs stores pixels per metre in 32 bits; 10000 dpi is far beyond any printer). */
        public static final int MAX_DPI = 10_000;

        public Options {
            if (dpi < 0 || dpi > MAX_DPI) {
                throw new IllegalArgumentException("DPI must be between 1 and " + MAX_DPI + " (0 = none), got " + dpi);
            }
            if (!(jpegQuality >= 0f && jpegQuality <= 1f)) {
                throw new IllegalArgumentException("JPEG quality must be between 0 and 100, got " + jpegQuality * 100);
            }
        }

        public static Options defaults() {
            return new Options(0, false, 0.95f);
        }
    }

    public static final String PARAMETERS_KEY = "parameters";
    public static final String JSON_KEY = "pixart-studio";

    private ImageExport() {}

    public static Format formatOf(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".png")) {
            return Format.PNG;
        }
        if (n.endsWith(".jpg") || n.endsWith(".jpeg")) {
            return Format.JPEG;
        }
        if (n.endsWith(".tif") || n.endsWith(".tiff")) {
            return Format.TIFF;
        }
        throw new IllegalArgumentException("unknown image format for " + file.getFileName()
                + " (use .png, .jpg or .tif)");
    }

    /**
     * Fails when {@code file}'s format cannot be written with {@code options} (unknown extension,
     * 16 bits in a JPEG): call it before the work that produces the image.
     */
    public static Format check(Path file, Options options) {
        Format f = formatOf(file);
        if (options != null && options.sixteenBit() && f == Format.JPEG) {
            throw new IllegalArgumentException("16-bit output needs PNG or TIFF; JPEG is 8-bit only (" + file.getFileName() + ")");
        }
        return f;
    }

    /** One image file to write: see {@link #write}. */
    public record Output(RgbImage image, Path file, String parameters, String json, Options options) {}

    /** @param parameters the human-readable text; @param json every setting as JSON (both may be null) */
    public static void write(RgbImage image, Path file, String parameters, String json, Options options) throws IOException {
        writeAll(List.of(new Output(image, file, parameters, json, options)));
    }

    /** Writes several images all or nothing: every file is encoded and written before any is moved into place. */
    public static void writeAll(List<Output> outputs) throws IOException {
        Map<Path, studio.pixart.engine.io.SafetensorsWriter.StreamWriter> files = new LinkedHashMap<>();
        for (Output o : outputs) {
            check(o.file(), o.options());
        }
        for (Output o : outputs) {
            byte[] bytes = encode(o.image(), o.file(), o.parameters(), o.json(), o.options());
            files.put(o.file(), out -> out.write(bytes));
        }
        AtomicFiles.writeAll(files);
    }

    /** The file's bytes in the format its extension names. */
    public static byte[] encode(RgbImage image, Path file, String parameters, String json, Options options) throws IOException {
        return switch (check(file, options)) {
            case PNG -> png(image, parameters, json, options);
            case JPEG -> jpeg(image, parameters, json, options);
            case TIFF -> tiff(image, parameters, json, options);
        };
    }

    static BufferedImage toImage(RgbImage image, boolean sixteen) {
        if (!sixteen) {
            return image.toBufferedImage();
        }
        int w = image.width();
        int h = image.height();
        ImageTypeSpecifier spec = ImageTypeSpecifier.createInterleaved(
                java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB), new int[] {0, 1, 2},
                java.awt.image.DataBuffer.TYPE_USHORT, false, false);
        BufferedImage img = spec.createBufferedImage(w, h);
        WritableRaster r = img.getRaster();
        short[] data = ((DataBufferUShort) r.getDataBuffer()).getData();
        float[] s = image.samples();
        for (int i = 0; i < s.length; i++) {
            float v = s[i] < 0 ? 0 : (s[i] > 1 ? 1 : s[i]);
            data[i] = (short) Math.round(v * 65535f);
        }
        return img;
    }

    private static ImageWriter writer(String format) {
        Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName(format);
        if (!it.hasNext()) {
            throw new IllegalStateException("no ImageIO writer for " + format);
        }
        return it.next();
    }

    static byte[] png(RgbImage image, String parameters, String json, Options o) throws IOException {
        BufferedImage img = toImage(image, o.sixteenBit());
        ImageWriter w = writer("png");
        try {
            ImageWriteParam param = w.getDefaultWriteParam();
            IIOMetadata meta = w.getDefaultImageMetadata(new ImageTypeSpecifier(img), param);
            String fmt = "javax_imageio_png_1.0";
            IIOMetadataNode root = new IIOMetadataNode(fmt);
            IIOMetadataNode srgb = new IIOMetadataNode("sRGB");
            srgb.setAttribute("renderingIntent", "Perceptual");
            root.appendChild(srgb);
            if (o.dpi() > 0) {
                IIOMetadataNode phys = new IIOMetadataNode("pHYs");
                String ppm = Integer.toString((int) Math.round(o.dpi() / 0.0254));
                phys.setAttribute("pixelsPerUnitXAxis", ppm);
                phys.setAttribute("pixelsPerUnitYAxis", ppm);
                phys.setAttribute("unitSpecifier", "meter");
                root.appendChild(phys);
            }
            if (parameters != null) {
                IIOMetadataNode text = new IIOMetadataNode("tEXt");
                text.appendChild(textEntry(PARAMETERS_KEY, latin1Safe(parameters)));
                root.appendChild(text);
            }
            if (json != null || (parameters != null && !latin1Safe(parameters).equals(parameters))) {
                IIOMetadataNode itxt = new IIOMetadataNode("iTXt");
                if (json != null) {
                    itxt.appendChild(itxtEntry(JSON_KEY, json));
                }
                if (parameters != null && !latin1Safe(parameters).equals(parameters)) {
                    itxt.appendChild(itxtEntry(PARAMETERS_KEY + "-utf8", parameters));
                }
                root.appendChild(itxt);
            }
            meta.mergeTree(fmt, root);
            return encode(w, img, meta, param);
        } finally {
            w.dispose();
        }
    }

    private static IIOMetadataNode textEntry(String key, String value) {
        IIOMetadataNode e = new IIOMetadataNode("tEXtEntry");
        e.setAttribute("keyword", key);
        e.setAttribute("value", value);
        return e;
    }

    private static IIOMetadataNode itxtEntry(String key, String value) {
        IIOMetadataNode e = new IIOMetadataNode("iTXtEntry");
        e.setAttribute("keyword", key);
        e.setAttribute("compressionFlag", "FALSE");
        e.setAttribute("compressionMethod", "0");
        e.setAttribute("languageTag", "");
        e.setAttribute("translatedKeyword", "");
        e.setAttribute("text", value);
        return e;
    }

    /** tEXt is Latin-1: characters outside it are replaced (the full text goes to an iTXt chunk). */
    static String latin1Safe(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(c < 256 ? c : '?');
        }
        return sb.toString();
    }

    private static byte[] encode(ImageWriter w, BufferedImage img, IIOMetadata meta, ImageWriteParam param) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bos)) {
            w.setOutput(out);
            w.write(null, new IIOImage(img, null, meta), param);
        }
        return bos.toByteArray();
    }

    static byte[] jpeg(RgbImage image, String parameters, String json, Options o) throws IOException {
        BufferedImage img = image.toBufferedImage();
        ImageWriter w = writer("jpeg");
        try {
            ImageWriteParam param = w.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(o.jpegQuality());
            IIOMetadata meta = w.getDefaultImageMetadata(new ImageTypeSpecifier(img), param);
            if (o.dpi() > 0) {
                String fmt = "javax_imageio_jpeg_image_1.0";
                IIOMetadataNode tree = (IIOMetadataNode) meta.getAsTree(fmt);
                IIOMetadataNode jfif = (IIOMetadataNode) tree.getElementsByTagName("app0JFIF").item(0);
                jfif.setAttribute("resUnits", "1");
                jfif.setAttribute("Xdensity", Integer.toString(o.dpi()));
                jfif.setAttribute("Ydensity", Integer.toString(o.dpi()));
                try {
                    meta.setFromTree(fmt, tree);
                } catch (IIOInvalidTreeException e) {
                    throw new IOException("cannot set JPEG density", e);
                }
            }
            byte[] jpg = encode(w, img, meta, param);
            return parameters == null ? jpg : insertExif(jpg, exifUserComment(parameters));
        } finally {
            w.dispose();
        }
    }

    /** A minimal EXIF APP1: IFD0 → ExifIFD → UserComment (UNICODE is UCS-2; we use the ASCII/UTF-8 form). */
    static byte[] exifUserComment(String text) {
        byte[] comment = text.getBytes(StandardCharsets.UTF_8);
        byte[] prefix = "ASCII\0\0\0".getBytes(StandardCharsets.US_ASCII);
        int commentLen = prefix.length + comment.length;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(6 + 8 + 2 + 12 + 4 + 2 + 12 + 4 + commentLen)
                .order(java.nio.ByteOrder.BIG_ENDIAN);
        b.put("Exif\0\0".getBytes(StandardCharsets.US_ASCII));
        int tiffStart = b.position();
        b.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8);
        // IFD0: one entry, ExifIFDPointer (0x8769)
        b.putShort((short) 1);
        int exifIfdOffset = 8 + 2 + 12 + 4;
        b.putShort((short) 0x8769).putShort((short) 4).putInt(1).putInt(exifIfdOffset);
        b.putInt(0);
        // Exif IFD: UserComment (0x9286), UNDEFINED (7)
        b.putShort((short) 1);
        int dataOffset = exifIfdOffset + 2 + 12 + 4;
        b.putShort((short) 0x9286).putShort((short) 7).putInt(commentLen).putInt(dataOffset);
        b.putInt(0);
        b.put(prefix).put(comment);
        if (b.position() - tiffStart != dataOffset + commentLen) {
            throw new IllegalStateException("EXIF layout error");
        }
        return b.array();
    }

    static byte[] insertExif(byte[] jpg, byte[] exif) throws IOException {
        if (exif.length + 2 > 65535) {
            throw new IOException("parameters too long for a JPEG EXIF segment (" + exif.length + " bytes)");
        }
        // after SOI and the JFIF APP0 segment
        int pos = 2;
        if ((jpg[2] & 0xff) == 0xff && (jpg[3] & 0xff) == 0xe0) {
            int len = ((jpg[4] & 0xff) << 8) | (jpg[5] & 0xff);
            pos = 4 + len;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(jpg.length + exif.length + 4);
        out.write(jpg, 0, pos);
        out.write(0xff);
        out.write(0xe1);
        out.write(((exif.length + 2) >> 8) & 0xff);
        out.write((exif.length + 2) & 0xff);
        out.write(exif);
        out.write(jpg, pos, jpg.length - pos);
        return out.toByteArray();
    }

    static byte[] tiff(RgbImage image, String parameters, String json, Options o) throws IOException {
        BufferedImage img = toImage(image, o.sixteenBit());
        ImageWriter w = writer("tiff");
        try {
            ImageWriteParam param = w.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionType("Deflate");
            IIOMetadata meta = w.getDefaultImageMetadata(new ImageTypeSpecifier(img), param);
            TIFFDirectory dir = TIFFDirectory.createFromMetadata(meta);
            BaselineTIFFTagSet base = BaselineTIFFTagSet.getInstance();
            if (o.dpi() > 0) {
                long[][] res = {{o.dpi(), 1}};
                dir.addTIFFField(new TIFFField(base.getTag(BaselineTIFFTagSet.TAG_X_RESOLUTION), TIFFTag.TIFF_RATIONAL, 1, res));
                dir.addTIFFField(new TIFFField(base.getTag(BaselineTIFFTagSet.TAG_Y_RESOLUTION), TIFFTag.TIFF_RATIONAL, 1, res));
                dir.addTIFFField(new TIFFField(base.getTag(BaselineTIFFTagSet.TAG_RESOLUTION_UNIT), TIFFTag.TIFF_SHORT, 1,
                        new char[] {(char) BaselineTIFFTagSet.RESOLUTION_UNIT_INCH}));
            }
            if (parameters != null) {
                dir.addTIFFField(new TIFFField(base.getTag(BaselineTIFFTagSet.TAG_IMAGE_DESCRIPTION), TIFFTag.TIFF_ASCII, 1,
                        new String[] {latin1Safe(parameters)}));
            }
            dir.addTIFFField(new TIFFField(base.getTag(BaselineTIFFTagSet.TAG_SOFTWARE), TIFFTag.TIFF_ASCII, 1,
                    new String[] {"PixArt Studio"}));
            return encode(w, img, dir.getAsMetadata(), param);
        } finally {
            w.dispose();
        }
    }

    /**
     * The EXIF UserComment of a JPEG (what {@link #write} puts the parameters text in), or null when
     * the file has none. Reads only the segments before the image data; accepts both byte orders and
     * the ASCII (read as UTF-8, as we write it), UNICODE (UCS-2) and undefined character codes.
     *
     * @throws IOException when the file is not a JPEG or its EXIF segment is malformed
     */
    public static String readJpegComment(Path file) throws IOException {
        byte[] d;
        try (InputStream in = Files.newInputStream(file)) {
            d = in.readNBytes(1 << 20); // metadata segments come first; 1 MiB is plenty
        }
        if (d.length < 4 || (d[0] & 0xff) != 0xff || (d[1] & 0xff) != 0xd8) {
            throw new IOException(file.getFileName() + " is not a JPEG file");
        }
        int pos = 2;
        while (pos + 4 <= d.length && (d[pos] & 0xff) == 0xff) {
            int marker = d[pos + 1] & 0xff;
            if (marker == 0xda || marker == 0xd9) {
                return null; // start of scan / end of image: no EXIF before the image data
            }
            int len = ((d[pos + 2] & 0xff) << 8) | (d[pos + 3] & 0xff);
            int body = pos + 4;
            if (len < 2 || body + len - 2 > d.length) {
                throw new IOException(file.getFileName() + ": JPEG segment 0x" + Integer.toHexString(marker)
                        + " has an impossible length " + len);
            }
            if (marker == 0xe1 && len >= 8 && new String(d, body, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
                return exifUserComment(java.nio.ByteBuffer.wrap(d, body + 6, len - 8).slice(), file);
            }
            pos = body + len - 2;
        }
        return null;
    }

    /** Follows IFD0 → ExifIFD (0x8769) → UserComment (0x9286) inside one EXIF TIFF block. */
    private static String exifUserComment(java.nio.ByteBuffer tiff, Path file) throws IOException {
        try {
            if (tiff.get(0) == 'I' && tiff.get(1) == 'I') {
                tiff.order(java.nio.ByteOrder.LITTLE_ENDIAN);
            } else if (tiff.get(0) != 'M' || tiff.get(1) != 'M') {
                throw new IOException(file.getFileName() + ": EXIF segment has no TIFF byte order mark");
            }
            int exifIfd = (int) ifdValue(tiff, tiff.getInt(4), 0x8769);
            if (exifIfd <= 0) {
                return null;
            }
            int entry = ifdEntry(tiff, exifIfd, 0x9286);
            if (entry < 0) {
                return null;
            }
            int count = tiff.getInt(entry + 4);
            int offset = count <= 4 ? entry + 8 : tiff.getInt(entry + 8);
            if (count < 8) {
                return ""; // not even the 8-byte character code: an empty comment
            }
            if (offset < 0 || (long) offset + count > tiff.limit()) {
                throw new IOException(file.getFileName() + ": EXIF UserComment points outside the EXIF segment");
            }
            byte[] code = new byte[8];
            byte[] text = new byte[count - 8];
            tiff.get(offset, code).get(offset + 8, text);
            String c = new String(code, StandardCharsets.US_ASCII);
            String s = c.startsWith("UNICODE")
                    ? new String(text, tiff.order() == java.nio.ByteOrder.BIG_ENDIAN ? StandardCharsets.UTF_16BE : StandardCharsets.UTF_16LE)
                    : new String(text, StandardCharsets.UTF_8);
            int nul = s.indexOf('\0');
            return nul >= 0 ? s.substring(0, nul) : s;
        } catch (IndexOutOfBoundsException e) {
            throw new IOException(file.getFileName() + ": EXIF segment is truncated or points outside itself", e);
        }
    }

    /** Position of the IFD entry with {@code tag}, or -1. */
    private static int ifdEntry(java.nio.ByteBuffer tiff, int ifd, int tag) {
        int n = tiff.getShort(ifd) & 0xffff;
        for (int i = 0; i < n; i++) {
            int e = ifd + 2 + 12 * i;
            if ((tiff.getShort(e) & 0xffff) == tag) {
                return e;
            }
        }
        return -1;
    }

    private static long ifdValue(java.nio.ByteBuffer tiff, int ifd, int tag) {
        int e = ifdEntry(tiff, ifd, tag);
        return e < 0 ? -1 : tiff.getInt(e + 8) & 0xffffffffL;
    }

    /** Text chunks of a PNG (tEXt and iTXt), e.g. to restore settings from an exported image. */
    public static Map<String, String> readPngText(Path file) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(file); ImageInputStream iis = ImageIO.createImageInputStream(in)) {
            Iterator<ImageReader> it = ImageIO.getImageReaders(iis);
            if (!it.hasNext()) {
                throw new IOException(file + " is not an image");
            }
            ImageReader r = it.next();
            try {
                r.setInput(iis);
                IIOMetadata meta;
                try {
                    meta = r.getImageMetadata(0);
                } catch (RuntimeException e) {
                    // ImageIO's PNG reader throws unchecked exceptions on some malformed files (found by
                    // fuzzing: IndexOutOfBoundsException "pos < flushedPos!")
                    throw new IOException(file.getFileName() + " is a damaged image: " + e.getMessage(), e);
                }
                if (!java.util.Arrays.asList(meta.getMetadataFormatNames()).contains("javax_imageio_png_1.0")) {
                    return out;
                }
                IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree("javax_imageio_png_1.0");
                var t = root.getElementsByTagName("tEXtEntry");
                for (int i = 0; i < t.getLength(); i++) {
                    IIOMetadataNode e = (IIOMetadataNode) t.item(i);
                    out.put(e.getAttribute("keyword"), e.getAttribute("value"));
                }
                var it2 = root.getElementsByTagName("iTXtEntry");
                for (int i = 0; i < it2.getLength(); i++) {
                    IIOMetadataNode e = (IIOMetadataNode) it2.item(i);
                    out.put(e.getAttribute("keyword"), e.getAttribute("text"));
                }
                if (out.containsKey(PARAMETERS_KEY + "-utf8")) {
                    out.put(PARAMETERS_KEY, out.remove(PARAMETERS_KEY + "-utf8"));
                }
            } finally {
                r.dispose();
            }
        }
        return out;
    }
}

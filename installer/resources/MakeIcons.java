import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Draws the PixArt Studio icon (a pixel-grid "P" on a violet gradient) and writes it in the three
 * formats jpackage wants: PNG (Linux), ICO (Windows), ICNS (macOS). ICO and ICNS both allow PNG
 * payloads, so no image tool beyond the JDK is needed.
 *
 * <p>Run from this folder: {@code java MakeIcons.java}. The outputs are committed; rerun only to
 * change the design (or replace them with assets/icons once the studio has its own artwork).
 */
public class MakeIcons {
    // 7 x 9 pixel glyph of a "P" with a one-pixel "spark" to its right.
    private static final String[] GLYPH = {
        "XXXXX..",
        "XX..XX.",
        "XX..XX.",
        "XX..XX.",
        "XXXXX..",
        "XX....S",
        "XX.....",
        "XX.....",
        "XX.....",
    };

    public static void main(String[] args) throws IOException {
        BufferedImage big = draw(1024);
        ImageIO.write(draw(256), "png", Path.of("pixart-studio.png").toFile());
        Files.write(Path.of("pixart-studio.ico"), ico(new int[] {16, 32, 48, 256}));
        Files.write(Path.of("pixart-studio.icns"), icns(big));
    }

    static BufferedImage draw(int size) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        double inset = size * 0.06;
        double side = size - 2 * inset;
        g.setPaint(new GradientPaint(0, 0, new Color(0x3B2A8F), size, size, new Color(0xC2367A)));
        g.fill(new RoundRectangle2D.Double(inset, inset, side, side, side * 0.22, side * 0.22));
        // Glyph cells on a grid that leaves a margin of about one sixth of the tile.
        double cell = side / 11.0;
        double x0 = inset + (side - GLYPH[0].length() * cell) / 2;
        double y0 = inset + (side - GLYPH.length * cell) / 2;
        for (int row = 0; row < GLYPH.length; row++) {
            for (int col = 0; col < GLYPH[row].length(); col++) {
                char c = GLYPH[row].charAt(col);
                if (c == '.') continue;
                g.setColor(c == 'S' ? new Color(0xFFD166) : Color.WHITE);
                double gap = cell * 0.08; // a hairline between cells keeps the pixel look at 256 px
                g.fill(new java.awt.geom.Rectangle2D.Double(
                        x0 + col * cell + gap, y0 + row * cell + gap, cell - 2 * gap, cell - 2 * gap));
            }
        }
        g.dispose();
        return img;
    }

    static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** ICO: 6-byte header, one 16-byte directory entry per size, then the PNG images. */
    static byte[] ico(int[] sizes) throws IOException {
        byte[][] images = new byte[sizes.length][];
        for (int i = 0; i < sizes.length; i++) images[i] = png(draw(sizes[i]));
        int offset = 6 + 16 * sizes.length;
        int total = offset;
        for (byte[] b : images) total += b.length;
        ByteBuffer buf = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        buf.putShort((short) 0).putShort((short) 1).putShort((short) sizes.length);
        for (int i = 0; i < sizes.length; i++) {
            int s = sizes[i] >= 256 ? 0 : sizes[i]; // 0 means 256
            buf.put((byte) s).put((byte) s).put((byte) 0).put((byte) 0);
            buf.putShort((short) 1).putShort((short) 32).putInt(images[i].length).putInt(offset);
            offset += images[i].length;
        }
        for (byte[] b : images) buf.put(b);
        return buf.array();
    }

    /** ICNS: "icns" + big-endian length, then (type, length incl. 8-byte header, PNG) entries. */
    static byte[] icns(BufferedImage big) throws IOException {
        String[] types = {"ic07", "ic08", "ic09", "ic10"};
        int[] sizes = {128, 256, 512, 1024};
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(body);
        for (int i = 0; i < types.length; i++) {
            byte[] p = png(sizes[i] == 1024 ? big : draw(sizes[i]));
            d.writeBytes(types[i]);
            d.writeInt(p.length + 8);
            d.write(p);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(out);
        o.writeBytes("icns");
        o.writeInt(body.size() + 8);
        o.write(body.toByteArray());
        return out.toByteArray();
    }
}

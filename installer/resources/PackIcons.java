import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Packs the studio's icon (assets/icons/pixart-studio-SIZE.png) into the two formats the Windows
 * and macOS installers want: pixart-studio.ico and pixart-studio.icns. Both formats accept PNG
 * payloads, so the PNGs go in unchanged and no image tool beyond the JDK is needed. Linux uses
 * assets/icons/pixart-studio-256.png directly.
 *
 * <p>Run from this folder after the artwork changes: {@code java PackIcons.java}
 */
public class PackIcons {
    private static final Path ICONS = Path.of("../../assets/icons");

    public static void main(String[] args) throws IOException {
        Files.write(Path.of("pixart-studio.ico"), ico(16, 32, 48, 256));
        // ICNS types for PNG payloads: ic07 = 128, ic08 = 256, ic09 = 512 pixels.
        Files.write(Path.of("pixart-studio.icns"), icns(new String[] {"ic07", "ic08", "ic09"}, 128, 256, 512));
    }

    static byte[] png(int size) throws IOException {
        return Files.readAllBytes(ICONS.resolve("pixart-studio-" + size + ".png"));
    }

    /** ICO: 6-byte header, one 16-byte directory entry per size, then the PNG images. */
    static byte[] ico(int... sizes) throws IOException {
        byte[][] images = new byte[sizes.length][];
        int offset = 6 + 16 * sizes.length;
        int total = offset;
        for (int i = 0; i < sizes.length; i++) {
            images[i] = png(sizes[i]);
            total += images[i].length;
        }
        ByteBuffer buf = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        buf.putShort((short) 0).putShort((short) 1).putShort((short) sizes.length);
        for (int i = 0; i < sizes.length; i++) {
            byte s = (byte) (sizes[i] >= 256 ? 0 : sizes[i]); // 0 means 256
            buf.put(s).put(s).put((byte) 0).put((byte) 0);
            buf.putShort((short) 1).putShort((short) 32).putInt(images[i].length).putInt(offset);
            offset += images[i].length;
        }
        for (byte[] b : images) buf.put(b);
        return buf.array();
    }

    /** ICNS: "icns" + big-endian total length, then (type, length incl. 8-byte header, PNG) entries. */
    static byte[] icns(String[] types, int... sizes) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(body);
        for (int i = 0; i < sizes.length; i++) {
            byte[] p = png(sizes[i]);
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

package studio.pixart.app.io;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.InflaterInputStream;

/**
 * Text chunks of PNG files, by hand (the format is simple and javax.imageio's metadata tree is
 * not): {@link #insert} adds chunks before IEND of an encoded PNG, {@link #read} returns every
 * tEXt, zTXt and iTXt keyword with its text. Latin-1 text goes into tEXt, as A1111 does; anything
 * else into an uncompressed UTF-8 iTXt.
 */
public final class PngText {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private PngText() {}

    public static byte[] insert(byte[] png, Map<String, String> texts) {
        checkSignature(png);
        int iend = findChunk(png, "IEND");
        ByteArrayOutputStream out = new ByteArrayOutputStream(png.length + 1024);
        out.write(png, 0, iend);
        for (Map.Entry<String, String> e : texts.entrySet()) {
            String key = e.getKey();
            if (key.isEmpty() || key.length() > 79) {
                throw new IllegalArgumentException("PNG text keyword must be 1..79 characters: '" + key + "'");
            }
            byte[] keyBytes = key.getBytes(StandardCharsets.ISO_8859_1);
            String text = e.getValue();
            if (StandardCharsets.ISO_8859_1.newEncoder().canEncode(text)) {
                writeChunk(out, "tEXt", concat(keyBytes, new byte[] {0}, text.getBytes(StandardCharsets.ISO_8859_1)));
            } else {
                // keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0, UTF-8 text
                writeChunk(out, "iTXt", concat(keyBytes, new byte[] {0, 0, 0, 0, 0}, text.getBytes(StandardCharsets.UTF_8)));
            }
        }
        out.write(png, iend, png.length - iend);
        return out.toByteArray();
    }

    public static Map<String, String> read(InputStream stream) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        byte[] sig = new byte[8];
        try {
            in.readFully(sig);
        } catch (EOFException e) {
            throw new IOException("not a PNG file (too short)");
        }
        if (!Arrays.equals(sig, SIGNATURE)) {
            throw new IOException("not a PNG file");
        }
        Map<String, String> texts = new LinkedHashMap<>();
        while (true) {
            int len;
            try {
                len = in.readInt();
            } catch (EOFException e) {
                return texts; // truncated after the last complete chunk: keep what was read
            }
            byte[] type = new byte[4];
            in.readFully(type);
            String t = new String(type, StandardCharsets.ISO_8859_1);
            if (len < 0 || len > 64 << 20) {
                throw new IOException("PNG chunk " + t + " has an impossible length " + len);
            }
            if (t.equals("tEXt") || t.equals("zTXt") || t.equals("iTXt")) {
                byte[] data = new byte[len];
                in.readFully(data);
                in.readInt(); // CRC
                parseText(t, data, texts);
            } else {
                in.skipNBytes(len + 4L);
                if (t.equals("IEND")) {
                    return texts;
                }
            }
        }
    }

    private static void parseText(String type, byte[] d, Map<String, String> texts) throws IOException {
        int z = indexOf(d, 0);
        if (z <= 0) {
            return;
        }
        String key = new String(d, 0, z, StandardCharsets.ISO_8859_1);
        switch (type) {
            case "tEXt" -> texts.put(key, new String(d, z + 1, d.length - z - 1, StandardCharsets.ISO_8859_1));
            case "zTXt" -> texts.put(key, new String(inflate(d, z + 2), StandardCharsets.ISO_8859_1));
            default -> {
                boolean compressed = d[z + 1] != 0;
                int lang = indexOf(d, z + 3);
                int translated = indexOf(d, lang + 1);
                int start = translated + 1;
                byte[] body = compressed ? inflate(d, start) : Arrays.copyOfRange(d, start, d.length);
                texts.put(key, new String(body, StandardCharsets.UTF_8));
            }
        }
    }

    private static byte[] inflate(byte[] d, int from) throws IOException {
        try (InflaterInputStream in = new InflaterInputStream(new java.io.ByteArrayInputStream(d, from, d.length - from))) {
            return in.readAllBytes();
        }
    }

    private static int indexOf(byte[] d, int from) {
        for (int i = from; i < d.length; i++) {
            if (d[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static void checkSignature(byte[] png) {
        if (png.length < 8 || !Arrays.equals(Arrays.copyOf(png, 8), SIGNATURE)) {
            throw new IllegalArgumentException("not a PNG image");
        }
    }

    private static int findChunk(byte[] png, String type) {
        int pos = 8;
        while (pos + 8 <= png.length) {
            int len = ((png[pos] & 0xff) << 24) | ((png[pos + 1] & 0xff) << 16) | ((png[pos + 2] & 0xff) << 8) | (png[pos + 3] & 0xff);
            String t = new String(png, pos + 4, 4, StandardCharsets.ISO_8859_1);
            if (t.equals(type)) {
                return pos;
            }
            pos += 12 + len;
        }
        throw new IllegalArgumentException("PNG has no " + type + " chunk");
    }

    private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        int len = data.length;
        out.write(len >>> 24);
        out.write(len >>> 16);
        out.write(len >>> 8);
        out.write(len);
        out.write(t, 0, 4);
        out.write(data, 0, data.length);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        long c = crc.getValue();
        out.write((int) (c >>> 24));
        out.write((int) (c >>> 16));
        out.write((int) (c >>> 8));
        out.write((int) c);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}

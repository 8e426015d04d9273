package studio.pixart.engine.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import studio.pixart.engine.io.ConfigException;

/**
 * A SentencePiece <b>unigram</b> model read from its {@code .model} file (a serialised
 * {@code ModelProto}), reproducing sentencepiece 0.1.97's {@code Encode}: the normaliser
 * ({@code normalizer.cc}: user-defined symbols, the precompiled charsmap, whitespace rules,
 * "▁" escaping, dummy prefix) followed by the optimised unigram Viterbi
 * ({@code unigram_model.cc: EncodeOptimized}) and the merging of consecutive unknown pieces
 * ({@code sentencepiece_processor.cc: PopulateSentencePieceText}).
 *
 * <p>The protobuf is parsed by hand (only the fields encoding needs); everything works on the
 * UTF-8 bytes of the text, exactly like the C++ code, so positions and tie-breaks agree.
 */
public final class SentencePieceModel {

    /** {@code ModelProto.SentencePiece.Type}. */
    public enum PieceType {
        NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

        static PieceType of(long number) {
            return switch ((int) number) {
                case 1 -> NORMAL;
                case 2 -> UNKNOWN;
                case 3 -> CONTROL;
                case 4 -> USER_DEFINED;
                case 5 -> UNUSED;
                case 6 -> BYTE;
                default -> null;
            };
        }
    }

    /** One vocabulary entry. */
    public record Piece(String text, float score, PieceType type) {}

    /**
     * One encoded piece: its (normalised) text, as {@code EncodeAsPieces} returns it, and its id.
     * A run of unknown characters is one token with the unknown id.
     */
    public record Token(String piece, int id) {}

    private static final byte[] SPACE_SYMBOL = "\u2581".getBytes(StandardCharsets.UTF_8);
    /** sentencepiece's {@code kUnkPenalty}: an unknown character scores min(score) - 10. */
    private static final float UNK_PENALTY = 10.0f;
    private static final int MODEL_TYPE_UNIGRAM = 1;

    private final Path source;
    private final List<Piece> pieces;
    private final Map<String, Integer> pieceIds;
    private final int unkId;
    private final float minScore;
    private final float maxScore;
    private final ByteTrie pieceTrie;
    private final ByteTrie userDefinedTrie;
    private final String normalizerName;
    private final CharsMap charsMap; // null: no normalisation rules
    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final boolean escapeWhitespaces;
    private final boolean whitespaceAsSuffix;

    private SentencePieceModel(Path source, ModelProto proto) {
        this.source = source;
        this.pieces = Collections.unmodifiableList(proto.pieces);
        if (pieces.isEmpty()) {
            throw new ConfigException(source, "SentencePiece model has no pieces");
        }
        if (proto.modelType != MODEL_TYPE_UNIGRAM) {
            throw new ConfigException(source, "SentencePiece model_type " + modelTypeName(proto.modelType)
                    + " is not supported; T5 tokenizers are UNIGRAM models");
        }
        if (proto.byteFallback) {
            throw new ConfigException(source, "SentencePiece byte_fallback models are not supported");
        }
        // As ModelInterface::InitializePieces: the id of every piece, the one UNKNOWN piece.
        Map<String, Integer> ids = new HashMap<>();
        int unk = -1;
        float min = Float.MAX_VALUE;
        float max = Float.MIN_NORMAL; // FLT_MIN, the C++ initial value (sic: not -FLT_MAX)
        ByteTrie trie = new ByteTrie();
        ByteTrie userTrie = new ByteTrie();
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            if (p.text().isEmpty()) {
                throw new ConfigException(source, "SentencePiece piece " + i + " is empty");
            }
            if (ids.putIfAbsent(p.text(), i) != null) {
                throw new ConfigException(source, "SentencePiece piece '" + p.text() + "' is defined twice");
            }
            switch (p.type()) {
                case NORMAL -> {
                    min = Math.min(min, p.score());
                    max = Math.max(max, p.score());
                    trie.put(utf8(p.text()), i);
                }
                case UNUSED -> trie.put(utf8(p.text()), i);
                case USER_DEFINED -> {
                    trie.put(utf8(p.text()), i);
                    userTrie.put(utf8(p.text()), i);
                }
                case UNKNOWN -> {
                    if (unk >= 0) {
                        throw new ConfigException(source, "SentencePiece model defines two unknown pieces");
                    }
                    unk = i;
                }
                default -> { } // CONTROL, BYTE: never produced by segmentation
            }
        }
        if (unk < 0) {
            throw new ConfigException(source, "SentencePiece model defines no unknown (<unk>) piece");
        }
        this.pieceIds = ids;
        this.unkId = unk;
        this.minScore = min;
        this.maxScore = max;
        this.pieceTrie = trie;
        this.userDefinedTrie = userTrie;
        this.normalizerName = proto.normalizerName;
        this.charsMap = proto.precompiledCharsmap == null || proto.precompiledCharsmap.length == 0
                ? null : CharsMap.decode(source, proto.precompiledCharsmap);
        this.addDummyPrefix = proto.addDummyPrefix;
        this.removeExtraWhitespaces = proto.removeExtraWhitespaces;
        this.escapeWhitespaces = proto.escapeWhitespaces;
        this.whitespaceAsSuffix = proto.treatWhitespaceAsSuffix;
    }

    /** Reads a {@code spiece.model}; a missing, malformed or non-unigram file is a ConfigException. */
    public static SentencePieceModel load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file, "SentencePiece model file not found");
        } catch (IOException e) {
            throw new ConfigException(file, "cannot read SentencePiece model: " + e.getMessage());
        }
        return parse(file, bytes);
    }

    /** Parses the bytes of a {@code .model} file; {@code source} only names it in errors. */
    public static SentencePieceModel parse(Path source, byte[] bytes) {
        return new SentencePieceModel(source, ModelProto.parse(source, bytes));
    }

    public int size() {
        return pieces.size();
    }

    public Piece piece(int id) {
        return pieces.get(id);
    }

    public int unkId() {
        return unkId;
    }

    public String normalizerName() {
        return normalizerName;
    }

    public Path source() {
        return source;
    }

    /** {@code PieceToId}: the id of any piece (control pieces included), else the unknown id. */
    public int pieceToId(String piece) {
        Integer id = pieceIds.get(piece);
        return id == null ? unkId : id;
    }

    /** Whether {@code piece} is in the vocabulary (any type). */
    public boolean contains(String piece) {
        return pieceIds.containsKey(piece);
    }

    /** The normalised text (whitespace escaped as "▁"), as {@code Normalize} produces it. */
    public String normalize(String text) {
        return new String(normalizeBytes(utf8(text)), StandardCharsets.UTF_8);
    }

    /** {@code EncodeAsPieces} with ids: normalise, segment, merge runs of unknown pieces. */
    public List<Token> encode(String text) {
        byte[] normalized = normalizeBytes(utf8(text));
        List<Token> out = new ArrayList<>();
        if (normalized.length == 0) {
            return out;
        }
        int[] path = viterbi(normalized); // (start, end, id) triples, last piece first
        boolean prevUnk = false;
        ByteArrayOutputStream unkRun = new ByteArrayOutputStream();
        for (int k = path.length - 3; k >= 0; k -= 3) {
            int start = path[k];
            int end = path[k + 1];
            int id = path[k + 2];
            boolean isUnk = id == unkId;
            if (isUnk && prevUnk) {
                // Merge into the previous unknown piece (sentencepiece_processor.cc).
                unkRun.write(normalized, start, end - start);
                Token last = out.remove(out.size() - 1);
                out.add(new Token(unkRun.toString(StandardCharsets.UTF_8), last.id()));
            } else {
                if (isUnk) {
                    unkRun.reset();
                    unkRun.write(normalized, start, end - start);
                }
                out.add(new Token(new String(normalized, start, end - start, StandardCharsets.UTF_8), id));
            }
            prevUnk = isUnk;
        }
        return out;
    }

    // ---------------------------------------------------------------- normaliser (normalizer.cc)

    byte[] normalizeBytes(byte[] input) {
        Bytes out = new Bytes(input.length * 3 + 3);
        if (input.length == 0) {
            return out.toArray();
        }
        int pos = 0;
        int[] consumed = new int[1];
        // Ignore leading whitespace (after normalisation, so e.g. a leading NBSP goes too).
        if (removeExtraWhitespaces) {
            while (pos < input.length) {
                Bytes.Slice p = normalizePrefix(input, pos, consumed);
                if (!p.equalsAscii(" ")) {
                    break;
                }
                pos += consumed[0];
            }
        }
        if (pos == input.length) {
            return out.toArray(); // all whitespace
        }
        if (!whitespaceAsSuffix && addDummyPrefix) {
            addSpace(out);
        }
        boolean prevSpace = removeExtraWhitespaces;
        while (pos < input.length) {
            Bytes.Slice sp = normalizePrefix(input, pos, consumed);
            int off = sp.off();
            int end = sp.off() + sp.len();
            // Drop leading spaces of this replacement if the previous one ended with a space.
            while (prevSpace && off < end && sp.data()[off] == ' ') {
                off++;
            }
            if (off < end) {
                for (int n = off; n < end; n++) {
                    byte b = sp.data()[n];
                    if (escapeWhitespaces && b == ' ') {
                        out.add(SPACE_SYMBOL, 0, SPACE_SYMBOL.length);
                    } else {
                        out.add(b);
                    }
                }
                prevSpace = sp.data()[end - 1] == ' ';
            }
            pos += consumed[0];
            if (!removeExtraWhitespaces) {
                prevSpace = false;
            }
        }
        if (removeExtraWhitespaces) {
            byte[] space = escapeWhitespaces ? SPACE_SYMBOL : new byte[] {' '};
            while (out.endsWith(space)) {
                out.truncate(out.size() - space.length);
            }
        }
        if (whitespaceAsSuffix && addDummyPrefix) {
            addSpace(out);
        }
        return out.toArray();
    }

    private void addSpace(Bytes out) {
        if (escapeWhitespaces) {
            out.add(SPACE_SYMBOL, 0, SPACE_SYMBOL.length);
        } else {
            out.add((byte) ' ');
        }
    }

    /**
     * {@code NormalizePrefix}: the replacement for the longest rule matching at {@code pos} and
     * the number of input bytes it consumes. User-defined symbols match first and stay as they
     * are; characters without a rule are copied; a malformed UTF-8 byte becomes U+FFFD.
     */
    private Bytes.Slice normalizePrefix(byte[] input, int pos, int[] consumed) {
        int userLen = userDefinedTrie.longestMatch(input, pos);
        if (userLen > 0) {
            consumed[0] = userLen;
            return new Bytes.Slice(input, pos, userLen);
        }
        if (charsMap != null) {
            long match = charsMap.longestMatch(input, pos);
            if (match >= 0) {
                consumed[0] = (int) (match >>> 32);
                return charsMap.replacement((int) match);
            }
        }
        int len = validUtf8Length(input, pos);
        if (len == 0) {
            consumed[0] = 1;
            return new Bytes.Slice(REPLACEMENT_CHAR, 0, REPLACEMENT_CHAR.length);
        }
        consumed[0] = len;
        return new Bytes.Slice(input, pos, len);
    }

    private static final byte[] REPLACEMENT_CHAR = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};

    /** Length of the valid UTF-8 character at pos, 0 if malformed. */
    static int validUtf8Length(byte[] s, int pos) {
        int b0 = s[pos] & 0xFF;
        if (b0 < 0x80) {
            return 1;
        }
        int len;
        int cp;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2;
            cp = b0 & 0x1F;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3;
            cp = b0 & 0x0F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4;
            cp = b0 & 0x07;
        } else {
            return 0;
        }
        if (pos + len > s.length) {
            return 0;
        }
        for (int i = 1; i < len; i++) {
            int b = s[pos + i] & 0xFF;
            if ((b & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (b & 0x3F);
        }
        boolean overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        return len;
    }

    /** {@code string_util::OneCharLen}: the UTF-8 length announced by a lead byte. */
    private static int oneCharLen(byte lead) {
        int hi = (lead & 0xFF) >>> 4;
        return hi < 12 ? 1 : hi < 14 ? 2 : hi == 14 ? 3 : 4;
    }

    // ---------------------------------------------------------------- unigram Viterbi

    /**
     * {@code EncodeOptimized}: best segmentation of the normalised bytes. The C++ keeps the best
     * path score per end position as a float, adds a piece score to it in double (the piece score
     * is a double expression there) and compares in double; an unknown character's candidate is
     * a float sum. Reproducing exactly those types keeps every tie-break identical.
     *
     * @return (start, end, id) triples, last piece first
     */
    private int[] viterbi(byte[] s) {
        int size = s.length;
        float[] best = new float[size + 1];
        int[] startsAt = new int[size + 1];
        int[] ids = new int[size + 1];
        Arrays.fill(startsAt, -1);
        float unkScore = minScore - UNK_PENALTY;
        int start = 0;
        while (start < size) {
            float tillHere = best[start];
            boolean hasSingleNode = false;
            int mblen = Math.min(oneCharLen(s[start]), size - start);
            int node = ByteTrie.ROOT;
            for (int keyPos = start; keyPos < size; ) {
                node = pieceTrie.next(node, s[keyPos]);
                keyPos++;
                if (node < 0) {
                    break;
                }
                int id = pieceTrie.value(node);
                if (id < 0) {
                    continue;
                }
                Piece piece = pieces.get(id);
                if (piece.type() == PieceType.UNUSED) {
                    continue;
                }
                int length = keyPos - start;
                double score = piece.type() == PieceType.USER_DEFINED
                        ? (double) ((float) length * maxScore) - 0.1 // always wins: as the C++
                        : (double) piece.score();
                double candidate = score + (double) tillHere;
                if (startsAt[keyPos] == -1 || candidate > (double) best[keyPos]) {
                    best[keyPos] = (float) candidate;
                    startsAt[keyPos] = start;
                    ids[keyPos] = id;
                }
                if (!hasSingleNode && length == mblen) {
                    hasSingleNode = true;
                }
            }
            if (!hasSingleNode) {
                int end = start + mblen;
                float candidate = unkScore + tillHere;
                if (startsAt[end] == -1 || candidate > best[end]) {
                    best[end] = candidate;
                    startsAt[end] = start;
                    ids[end] = unkId;
                }
            }
            start += mblen;
        }
        int[] path = new int[3 * (size + 1)];
        int n = 0;
        for (int end = size; end > 0; end = startsAt[end]) {
            path[n++] = startsAt[end];
            path[n++] = end;
            path[n++] = ids[end];
        }
        return Arrays.copyOf(path, n);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String modelTypeName(int type) {
        return switch (type) {
            case 1 -> "UNIGRAM";
            case 2 -> "BPE";
            case 3 -> "WORD";
            case 4 -> "CHAR";
            default -> String.valueOf(type);
        };
    }

    // ---------------------------------------------------------------- tries

    /** A byte trie over piece UTF-8 (the model's own darts trie is not stored in the file). */
    private static final class ByteTrie {
        static final int ROOT = 0;
        private final Map<Long, Integer> edges = new HashMap<>();
        private int[] values = {-1};
        private int nodes = 1;

        void put(byte[] key, int value) {
            int node = ROOT;
            for (byte b : key) {
                long edge = ((long) node << 8) | (b & 0xFF);
                Integer child = edges.get(edge);
                if (child == null) {
                    child = nodes++;
                    if (child >= values.length) {
                        int old = values.length;
                        values = Arrays.copyOf(values, old * 2);
                        Arrays.fill(values, old, values.length, -1);
                    }
                    edges.put(edge, child);
                }
                node = child;
            }
            values[node] = value;
        }

        /** The child of node along b, or -1. */
        int next(int node, byte b) {
            Integer child = edges.get(((long) node << 8) | (b & 0xFF));
            return child == null ? -1 : child;
        }

        int value(int node) {
            return values[node];
        }

        /** Byte length of the longest key that prefixes s[pos..], 0 if none. */
        int longestMatch(byte[] s, int pos) {
            if (nodes == 1) {
                return 0;
            }
            int node = ROOT;
            int longest = 0;
            for (int i = pos; i < s.length; i++) {
                node = next(node, s[i]);
                if (node < 0) {
                    break;
                }
                if (values[node] >= 0) {
                    longest = i + 1 - pos;
                }
            }
            return longest;
        }
    }

    /**
     * The precompiled charsmap: {@code <u32 trie size><darts-clone double array><normalised
     * strings>}; a trie value is the offset of a NUL-terminated replacement in the strings blob.
     */
    private static final class CharsMap {
        private final int[] units;
        private final byte[] normalized;

        private CharsMap(int[] units, byte[] normalized) {
            this.units = units;
            this.normalized = normalized;
        }

        static CharsMap decode(Path source, byte[] blob) {
            if (blob.length <= 4) {
                throw new ConfigException(source, "precompiled_charsmap is broken (" + blob.length + " bytes)");
            }
            long trieSize = (blob[0] & 0xFFL) | (blob[1] & 0xFFL) << 8 | (blob[2] & 0xFFL) << 16
                    | (blob[3] & 0xFFL) << 24;
            if (trieSize >= blob.length || trieSize % 4 != 0 || trieSize + 4 > blob.length || trieSize == 0) {
                throw new ConfigException(source, "precompiled_charsmap is broken (trie size " + trieSize
                        + " in a blob of " + blob.length + " bytes)");
            }
            int[] units = new int[(int) trieSize / 4];
            for (int i = 0; i < units.length; i++) {
                int o = 4 + 4 * i;
                units[i] = (blob[o] & 0xFF) | (blob[o + 1] & 0xFF) << 8 | (blob[o + 2] & 0xFF) << 16
                        | (blob[o + 3] & 0xFF) << 24;
            }
            byte[] normalized = Arrays.copyOfRange(blob, 4 + (int) trieSize, blob.length);
            return new CharsMap(units, normalized);
        }

        // darts-clone DoubleArrayUnit accessors (unsigned 32-bit unit)
        private static boolean hasLeaf(int unit) {
            return ((unit >>> 8) & 1) == 1;
        }

        private static int value(int unit) {
            return unit & 0x7FFFFFFF;
        }

        private static int label(int unit) {
            return unit & (0x80000000 | 0xFF);
        }

        private static int offset(int unit) {
            return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
        }

        /**
         * {@code commonPrefixSearch} keeping the longest hit: (length << 32 | value), or -1.
         * Out-of-range positions (a corrupt trie) end the search instead of failing.
         */
        long longestMatch(byte[] key, int pos) {
            long result = -1;
            int nodePos = 0;
            int unit = units[0];
            nodePos ^= offset(unit);
            for (int i = pos; i < key.length; i++) {
                int c = key[i] & 0xFF;
                nodePos ^= c;
                if (nodePos < 0 || nodePos >= units.length) {
                    return result;
                }
                unit = units[nodePos];
                if (label(unit) != c) {
                    return result;
                }
                nodePos ^= offset(unit);
                if (hasLeaf(unit)) {
                    if (nodePos < 0 || nodePos >= units.length) {
                        return result;
                    }
                    result = ((long) (i + 1 - pos) << 32) | value(units[nodePos]);
                }
            }
            return result;
        }

        Bytes.Slice replacement(int offset) {
            if (offset < 0 || offset >= normalized.length) {
                return new Bytes.Slice(normalized, 0, 0);
            }
            int end = offset;
            while (end < normalized.length && normalized[end] != 0) {
                end++;
            }
            return new Bytes.Slice(normalized, offset, end - offset);
        }
    }

    /** A growable byte buffer with the few operations the normaliser needs. */
    private static final class Bytes {
        record Slice(byte[] data, int off, int len) {
            boolean equalsAscii(String s) {
                if (len != s.length()) {
                    return false;
                }
                for (int i = 0; i < len; i++) {
                    if (data[off + i] != s.charAt(i)) {
                        return false;
                    }
                }
                return true;
            }
        }

        private byte[] buf;
        private int size;

        Bytes(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        void add(byte b) {
            ensure(1);
            buf[size++] = b;
        }

        void add(byte[] src, int off, int len) {
            ensure(len);
            System.arraycopy(src, off, buf, size, len);
            size += len;
        }

        private void ensure(int extra) {
            if (size + extra > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
            }
        }

        int size() {
            return size;
        }

        void truncate(int newSize) {
            size = newSize;
        }

        boolean endsWith(byte[] suffix) {
            if (size < suffix.length) {
                return false;
            }
            for (int i = 0; i < suffix.length; i++) {
                if (buf[size - suffix.length + i] != suffix[i]) {
                    return false;
                }
            }
            return true;
        }

        byte[] toArray() {
            return Arrays.copyOf(buf, size);
        }
    }

    // ---------------------------------------------------------------- protobuf

    /** The fields of {@code sentencepiece_model.proto} that encoding uses, with proto2 defaults. */
    private static final class ModelProto {
        final List<Piece> pieces = new ArrayList<>();
        int modelType = MODEL_TYPE_UNIGRAM;
        boolean byteFallback;
        boolean treatWhitespaceAsSuffix;
        String normalizerName = "";
        byte[] precompiledCharsmap;
        boolean addDummyPrefix = true;
        boolean removeExtraWhitespaces = true;
        boolean escapeWhitespaces = true;

        static ModelProto parse(Path source, byte[] bytes) {
            ModelProto m = new ModelProto();
            Wire r = new Wire(source, bytes, 0, bytes.length);
            while (r.more()) {
                long tag = r.varint();
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                switch (field) {
                    case 1 -> m.pieces.add(parsePiece(r.message(wire), m.pieces.size()));
                    case 2 -> m.parseTrainerSpec(r.message(wire));
                    case 3 -> m.parseNormalizerSpec(r.message(wire));
                    default -> r.skip(field, wire);
                }
            }
            return m;
        }

        private static Piece parsePiece(Wire r, int index) {
            String text = null;
            float score = 0f;
            PieceType type = PieceType.NORMAL;
            while (r.more()) {
                long tag = r.varint();
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                switch (field) {
                    case 1 -> text = r.string(wire);
                    case 2 -> score = Float.intBitsToFloat(r.fixed32(wire));
                    case 3 -> {
                        long t = r.varintField(wire);
                        type = PieceType.of(t);
                        if (type == null) {
                            throw r.error("piece " + index + " has an unknown type " + t);
                        }
                    }
                    default -> r.skip(field, wire);
                }
            }
            if (text == null) {
                throw r.error("piece " + index + " has no text");
            }
            return new Piece(text, score, type);
        }

        private void parseTrainerSpec(Wire r) {
            while (r.more()) {
                long tag = r.varint();
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                switch (field) {
                    case 3 -> modelType = (int) r.varintField(wire);
                    case 24 -> treatWhitespaceAsSuffix = r.varintField(wire) != 0;
                    case 35 -> byteFallback = r.varintField(wire) != 0;
                    default -> r.skip(field, wire);
                }
            }
        }

        private void parseNormalizerSpec(Wire r) {
            while (r.more()) {
                long tag = r.varint();
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                switch (field) {
                    case 1 -> normalizerName = r.string(wire);
                    case 2 -> precompiledCharsmap = r.bytes(wire);
                    case 3 -> addDummyPrefix = r.varintField(wire) != 0;
                    case 4 -> removeExtraWhitespaces = r.varintField(wire) != 0;
                    case 5 -> escapeWhitespaces = r.varintField(wire) != 0;
                    default -> r.skip(field, wire);
                }
            }
        }
    }

    /** A protobuf wire-format reader over bytes[pos, limit); every overrun is a ConfigException. */
    private static final class Wire {
        private final Path source;
        private final byte[] buf;
        private int pos;
        private final int limit;

        Wire(Path source, byte[] buf, int pos, int limit) {
            this.source = source;
            this.buf = buf;
            this.pos = pos;
            this.limit = limit;
        }

        boolean more() {
            return pos < limit;
        }

        ConfigException error(String what) {
            return new ConfigException(source, "not a valid SentencePiece model (" + what + " at byte " + pos + ")");
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= limit) {
                    throw error("truncated varint");
                }
                byte b = buf[pos++];
                v |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return v;
                }
            }
            throw error("varint longer than 10 bytes");
        }

        long varintField(int wire) {
            expect(wire, 0);
            return varint();
        }

        int fixed32(int wire) {
            expect(wire, 5);
            if (limit - pos < 4) {
                throw error("truncated fixed32");
            }
            int v = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16
                    | (buf[pos + 3] & 0xFF) << 24;
            pos += 4;
            return v;
        }

        private int length(int wire) {
            expect(wire, 2);
            long len = varint();
            if (len < 0 || len > limit - pos) {
                throw error("length " + len + " runs past the end of the data");
            }
            return (int) len;
        }

        Wire message(int wire) {
            int len = length(wire);
            Wire sub = new Wire(source, buf, pos, pos + len);
            pos += len;
            return sub;
        }

        byte[] bytes(int wire) {
            int len = length(wire);
            byte[] out = Arrays.copyOfRange(buf, pos, pos + len);
            pos += len;
            return out;
        }

        String string(int wire) {
            return new String(bytes(wire), StandardCharsets.UTF_8);
        }

        void skip(int field, int wire) {
            if (field == 0) {
                throw error("field number 0");
            }
            switch (wire) {
                case 0 -> varint();
                case 1 -> {
                    if (limit - pos < 8) {
                        throw error("truncated fixed64");
                    }
                    pos += 8;
                }
                case 2 -> {
                    int len = length(wire); // not "pos += length(..)": Java reads pos first
                    pos += len;
                }
                case 5 -> fixed32(wire);
                default -> throw error("unsupported wire type " + wire);
            }
        }

        private void expect(int wire, int expected) {
            if (wire != expected) {
                throw error("wire type " + wire + " where " + expected + " was expected");
            }
        }
    }
}

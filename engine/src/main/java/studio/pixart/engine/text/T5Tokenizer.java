package studio.pixart.engine.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.Json;

/**
 * transformers' slow {@code T5Tokenizer} in its default {@code legacy=True} mode, as the
 * PixArt pipelines call it: {@code tokenizer(texts, padding="max_length", max_length=N,
 * truncation=True, add_special_tokens=True)}.
 *
 * <ol>
 *   <li>Literal added tokens ({@code <pad>}, {@code </s>}, {@code <unk>}, {@code <extra_id_N>})
 *       are cut out of the text first (leftmost, longest) and map straight to their ids; a token
 *       flagged {@code lstrip}/{@code rstrip} eats the whitespace next to it.</li>
 *   <li>Every remaining chunk goes through SentencePiece on its own (so each gets its own "▁"
 *       dummy prefix); a piece maps to its id, an unknown run to {@code <unk>}.</li>
 *   <li>Truncate to {@code max_length - 1}, append {@code </s>} unless the last id already is
 *       {@code </s>}, right-pad with {@code <pad>}; the mask covers the kept tokens (a literal
 *       {@code <pad>} in the text is a real token with mask 1).</li>
 * </ol>
 */
public final class T5Tokenizer {

    /**
     * One tokenised text.
     *
     * @param inputIds      {@code maxLength} ids, right-padded
     * @param attentionMask 1 for every kept token including {@code </s>}, then 0
     * @param tokenCount    the sequence length without truncation (including the final {@code </s>})
     * @param truncated     whether tokens were cut to fit {@code maxLength}
     * @param pieces        every piece of the text before {@code </s>}, not truncated (unknown
     *                      runs as their normalised text, literal special tokens as written)
     */
    public record Encoding(long[] inputIds, long[] attentionMask, int tokenCount, boolean truncated,
                           List<String> pieces) {
        /** Number of positions with mask 1. */
        public int length() {
            int n = 0;
            for (long m : attentionMask) {
                n += (int) m;
            }
            return n;
        }
    }

    /**
     * What the prompt box shows: tokens the prompt uses after pre-processing (including
     * {@code </s>}), the limit, and the text that falls beyond the limit ("" if none).
     */
    public record TokenCount(int used, int limit, boolean over, String cutText) {}

    /** An added token as transformers keeps it ({@code AddedToken}): content, id, strip flags. */
    public record AddedToken(String content, int id, boolean lstrip, boolean rstrip) {}

    private final SentencePieceModel model;
    private final Map<String, AddedToken> added;
    /** Added tokens by first character, longest first: the leftmost-longest split. */
    private final Map<Character, List<AddedToken>> addedByFirstChar = new HashMap<>();
    private final int eosId;
    private final int padId;
    private final int vocabSize;

    private T5Tokenizer(SentencePieceModel model, List<AddedToken> addedTokens, String eos, String pad) {
        this.model = model;
        this.added = new HashMap<>();
        int maxId = model.size() - 1;
        for (AddedToken t : addedTokens) {
            if (t.content().isEmpty()) {
                continue;
            }
            added.put(t.content(), t);
            addedByFirstChar.computeIfAbsent(t.content().charAt(0), k -> new ArrayList<>()).add(t);
            maxId = Math.max(maxId, t.id());
        }
        for (List<AddedToken> list : addedByFirstChar.values()) {
            list.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
        }
        this.vocabSize = maxId + 1;
        this.eosId = tokenToId(eos);
        this.padId = tokenToId(pad);
    }

    /**
     * Loads a tokenizer from a {@code tokenizer/} folder (spiece.model plus, if present,
     * tokenizer_config.json / special_tokens_map.json) or from the spiece.model file itself
     * (the JSON files are then looked for next to it).
     */
    public static T5Tokenizer load(Path spieceModelOrTokenizerDir) {
        Path dir;
        Path modelFile;
        if (Files.isDirectory(spieceModelOrTokenizerDir)) {
            dir = spieceModelOrTokenizerDir;
            modelFile = dir.resolve("spiece.model");
        } else {
            modelFile = spieceModelOrTokenizerDir;
            dir = modelFile.toAbsolutePath().getParent();
        }
        SentencePieceModel model = SentencePieceModel.load(modelFile);
        JsonNode config = readOptional(dir.resolve("tokenizer_config.json"));
        JsonNode specialMap = readOptional(dir.resolve("special_tokens_map.json"));
        String eos = tokenName(config, specialMap, "eos_token", "</s>");
        String pad = tokenName(config, specialMap, "pad_token", "<pad>");
        String unk = tokenName(config, specialMap, "unk_token", "<unk>");

        List<AddedToken> addedTokens = new ArrayList<>();
        JsonNode decoder = config == null ? null : config.get("added_tokens_decoder");
        if (decoder != null && decoder.isObject() && decoder.size() > 0) {
            Path configFile = dir.resolve("tokenizer_config.json");
            for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new ConfigException(configFile, "added_tokens_decoder key '" + e.getKey() + "' is not an id");
                }
                JsonNode t = e.getValue();
                if (id < 0 || !t.hasNonNull("content")) {
                    throw new ConfigException(configFile, "added_tokens_decoder entry " + e.getKey() + " is malformed");
                }
                addedTokens.add(new AddedToken(t.get("content").asText(), id,
                        t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false)));
            }
        } else {
            // What T5Tokenizer.__init__ builds: the special pieces of the model, then extra_ids
            // sentinels <extra_id_i> = len(sp) + extra_ids - 1 - i, which eat adjacent spaces.
            for (String special : List.of(pad, eos, unk)) {
                if (model.contains(special)) {
                    addedTokens.add(new AddedToken(special, model.pieceToId(special), false, false));
                }
            }
            int extraIds = config != null && config.has("extra_ids") ? config.get("extra_ids").asInt() : 100;
            if (extraIds < 0 || extraIds > 100_000 || (config != null && config.has("extra_ids") && !config.get("extra_ids").isIntegralNumber())) {
                throw new ConfigException(dir.resolve("tokenizer_config.json"), "extra_ids must be an integer between 0 and 100000, got "
                        + config.get("extra_ids"));
            }
            for (int i = 0; i < extraIds; i++) {
                addedTokens.add(new AddedToken("<extra_id_" + i + ">", model.size() + extraIds - 1 - i, true, true));
            }
        }
        return new T5Tokenizer(model, addedTokens, eos, pad);
    }

    private static JsonNode readOptional(Path file) {
        return Files.isRegularFile(file) ? Json.read(file) : null;
    }

    /** A special token's text: a plain string or an {@code AddedToken} object with "content". */
    private static String tokenName(JsonNode config, JsonNode specialMap, String key, String fallback) {
        for (JsonNode source : new JsonNode[] {config, specialMap}) {
            JsonNode v = source == null ? null : source.get(key);
            if (v != null && v.isTextual()) {
                return v.asText();
            }
            if (v != null && v.hasNonNull("content")) {
                return v.get("content").asText();
            }
        }
        return fallback;
    }

    public SentencePieceModel model() {
        return model;
    }

    /** {@code len(tokenizer)}: SentencePiece pieces plus the added sentinel tokens. */
    public int vocabSize() {
        return vocabSize;
    }

    public int eosId() {
        return eosId;
    }

    public int padId() {
        return padId;
    }

    /** transformers' {@code convert_tokens_to_ids} for one token. */
    public int tokenToId(String token) {
        AddedToken t = added.get(token);
        return t != null ? t.id() : model.pieceToId(token);
    }

    /** The pieces of {@code text} (literal special tokens included), without {@code </s>}. */
    public List<String> pieces(String text) {
        List<String> pieces = new ArrayList<>();
        tokenize(text, pieces, null);
        return pieces;
    }

    /** Tokenises one text exactly as the pipeline's tokenizer call does. */
    public Encoding encode(String text, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be at least 1, got " + maxLength);
        }
        List<String> pieces = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        tokenize(text, pieces, ids);
        boolean endsWithEos = !ids.isEmpty() && ids.get(ids.size() - 1) == eosId;
        int tokenCount = ids.size() + (endsWithEos ? 0 : 1);
        // transformers reserves one place for </s> whatever the text ends with
        boolean truncated = ids.size() + 1 > maxLength;
        int kept = truncated ? maxLength - 1 : ids.size();
        long[] inputIds = new long[maxLength];
        long[] mask = new long[maxLength];
        Arrays.fill(inputIds, padId);
        for (int i = 0; i < kept; i++) {
            inputIds[i] = ids.get(i);
        }
        int length = kept;
        if (kept == 0 || inputIds[kept - 1] != eosId) {
            inputIds[length++] = eosId;
        }
        Arrays.fill(mask, 0, length, 1L);
        return new Encoding(inputIds, mask, tokenCount, truncated, List.copyOf(pieces));
    }

    public List<Encoding> encodeAll(List<String> texts, int maxLength) {
        List<Encoding> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(encode(t, maxLength));
        }
        return out;
    }

    /**
     * The prompt box's counter: pre-processes the prompt like the pipeline, then reports the
     * tokens used (including {@code </s>}) against {@code maxLength} and the text that would be
     * cut (the pieces beyond the first {@code maxLength - 1}, "▁" read back as spaces).
     */
    public TokenCount count(String prompt, int maxLength) {
        Encoding e = encode(PromptText.preprocess(prompt), maxLength);
        String cut = "";
        if (e.truncated()) {
            StringBuilder sb = new StringBuilder();
            for (String p : e.pieces().subList(maxLength - 1, e.pieces().size())) {
                sb.append(p);
            }
            cut = sb.toString().replace('\u2581', ' ').strip();
        }
        return new TokenCount(e.tokenCount(), maxLength, e.truncated(), cut);
    }

    // ---------------------------------------------------------------- PreTrainedTokenizer.tokenize

    private void tokenize(String text, List<String> pieces, List<Integer> ids) {
        List<String> chunks = new ArrayList<>();
        List<AddedToken> specials = new ArrayList<>(); // parallel to chunks: null = plain text
        split(text, chunks, specials);
        // A token with rstrip eats the whitespace on its right (lstrip: on its left).
        for (int i = 0; i < chunks.size(); i++) {
            AddedToken t = specials.get(i);
            if (t == null) {
                continue;
            }
            if (t.rstrip() && i + 1 < chunks.size() && specials.get(i + 1) == null) {
                chunks.set(i + 1, PromptText.stripLeading(chunks.get(i + 1)));
            }
            if (t.lstrip() && i > 0 && specials.get(i - 1) == null) {
                chunks.set(i - 1, PromptText.stripTrailing(chunks.get(i - 1)));
            }
        }
        for (int i = 0; i < chunks.size(); i++) {
            String chunk = chunks.get(i);
            AddedToken t = specials.get(i);
            if (t != null) {
                pieces.add(t.content());
                if (ids != null) {
                    ids.add(t.id());
                }
            } else if (!chunk.isEmpty()) {
                for (SentencePieceModel.Token token : model.encode(chunk)) {
                    pieces.add(token.piece());
                    if (ids != null) {
                        ids.add(tokenToId(token.piece()));
                    }
                }
            }
        }
    }

    /** Cuts the literal added tokens out of text: leftmost match first, longest at a position. */
    private void split(String text, List<String> chunks, List<AddedToken> specials) {
        int chunkStart = 0;
        int i = 0;
        while (i < text.length()) {
            AddedToken match = null;
            List<AddedToken> candidates = addedByFirstChar.get(text.charAt(i));
            if (candidates != null) {
                for (AddedToken t : candidates) {
                    if (text.startsWith(t.content(), i)) {
                        match = t;
                        break;
                    }
                }
            }
            if (match == null) {
                i++;
                continue;
            }
            if (i > chunkStart) {
                chunks.add(text.substring(chunkStart, i));
                specials.add(null);
            }
            chunks.add(match.content());
            specials.add(match);
            i += match.content().length();
            chunkStart = i;
        }
        if (chunkStart < text.length()) {
            chunks.add(text.substring(chunkStart));
            specials.add(null);
        }
    }
}

package studio.pixart.app.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The estimate used while no tokenizer is loaded: one token per word or punctuation mark plus the
 * end-of-sequence token. T5's SentencePiece splits rare words further, so real counts are higher;
 * the label says "~" so nobody mistakes it for the exact count.
 */
public final class WordTokenCounter implements TokenCounter {
    private static final Pattern PIECE = Pattern.compile("[\\p{L}\\p{N}]+|[^\\s\\p{L}\\p{N}]");
    private final int limit;

    public WordTokenCounter(int limit) {
        this.limit = limit;
    }

    @Override
    public TokenCount count(String prompt) {
        Matcher m = PIECE.matcher(prompt == null ? "" : prompt);
        int tokens = 1; // </s>
        int cut = -1;
        while (m.find()) {
            tokens++;
            if (tokens == limit && cut < 0) {
                cut = m.end();
            }
        }
        String overflow = tokens > limit && cut >= 0 ? prompt.substring(cut).strip() : "";
        return new TokenCount(tokens, limit, overflow, false);
    }
}

package studio.pixart.app.model;

/**
 * A prompt's length against the model's limit.
 *
 * @param overflowText the part of the prompt that the text encoder will not see ("" when it fits)
 * @param exact        false for the word-based estimate used when no tokenizer is loaded
 */
public record TokenCount(int tokens, int limit, String overflowText, boolean exact) {
    public boolean over() {
        return tokens > limit;
    }

    public String label() {
        return (exact ? "" : "~") + tokens + " / " + limit + " tokens";
    }
}

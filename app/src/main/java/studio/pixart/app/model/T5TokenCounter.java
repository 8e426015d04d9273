package studio.pixart.app.model;

import java.nio.file.Path;
import studio.pixart.engine.text.T5Tokenizer;

/** The exact count: the engine's T5 tokenizer after the pipeline's prompt pre-processing. */
public final class T5TokenCounter implements TokenCounter {
    private final T5Tokenizer tokenizer;
    private final int limit;

    public T5TokenCounter(T5Tokenizer tokenizer, int limit) {
        this.tokenizer = tokenizer;
        this.limit = limit;
    }

    /** Loads the model's tokenizer/ folder (a few ms; call off the UI thread). */
    public static T5TokenCounter load(Path tokenizerDir, int limit) {
        return new T5TokenCounter(T5Tokenizer.load(tokenizerDir), limit);
    }

    @Override
    public TokenCount count(String prompt) {
        T5Tokenizer.TokenCount c = tokenizer.count(prompt == null ? "" : prompt, limit);
        return new TokenCount(c.used(), c.limit(), c.over() ? c.cutText() : "", true);
    }
}

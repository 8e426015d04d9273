package studio.pixart.app.model;

/**
 * Counts a prompt's tokens as the pipeline will see them (after its prompt pre-processing,
 * including the end-of-sequence token). Called on the UI thread on every keystroke, so it must be
 * fast (the SentencePiece Viterbi on a few hundred characters is well under a millisecond).
 */
public interface TokenCounter {
    TokenCount count(String prompt);
}

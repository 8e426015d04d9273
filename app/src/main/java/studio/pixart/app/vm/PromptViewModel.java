package studio.pixart.app.vm;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import studio.pixart.app.StudioContext;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.model.TokenCount;
import studio.pixart.app.model.TokenCounter;
import studio.pixart.app.service.StudioServices;

/** The prompt and negative prompt, with the live token count of the loaded model's tokenizer. */
public final class PromptViewModel {
    public final StringProperty text = new SimpleStringProperty("");
    public final StringProperty negative = new SimpleStringProperty("");
    public final StringProperty tokenLabel = new SimpleStringProperty("");
    public final BooleanProperty tokenOver = new SimpleBooleanProperty(false);
    public final StringProperty tokenOverflow = new SimpleStringProperty("");
    private final ObjectProperty<TokenCounter> tokenCounter = new SimpleObjectProperty<>();
    private final StudioServices services;

    public PromptViewModel(StudioServices services) {
        this.services = services;
        text.addListener((o, a, b) -> recount());
        tokenCounter.addListener((o, a, b) -> recount());
        tokenCounter.set(StudioContext.fallbackTokenCounter(null));
    }

    /** Loads the model's tokenizer off the UI thread (the word estimate until then, or when it fails). */
    public void useModel(ModelInfo m) {
        services.io().execute(() -> {
            TokenCounter counter;
            try {
                counter = services.context().tokenCounters().apply(m);
            } catch (RuntimeException e) {
                counter = StudioContext.fallbackTokenCounter(m);
            }
            TokenCounter c = counter;
            services.ui().execute(() -> tokenCounter.set(c));
        });
    }

    private void recount() {
        TokenCounter c = tokenCounter.get();
        if (c == null) {
            return;
        }
        TokenCount t = c.count(text.get());
        tokenLabel.set(t.label());
        tokenOver.set(t.over());
        tokenOverflow.set(t.over() ? "Will be cut: \u201c" + Texts.abbreviate(t.overflowText(), 120) + "\u201d" : "");
    }
}

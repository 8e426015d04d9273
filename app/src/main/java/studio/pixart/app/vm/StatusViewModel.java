package studio.pixart.app.vm;

import java.util.concurrent.Executor;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/** The error banner and the status line, shared by the other view-models. */
public final class StatusViewModel {
    public final ObjectProperty<ErrorInfo> error = new SimpleObjectProperty<>();
    public final StringProperty status = new SimpleStringProperty("");
    private final Executor ui;

    public StatusViewModel(Executor ui) {
        this.ui = ui;
    }

    /** Shows an error from any thread. */
    public void showError(String title, String message, String advice) {
        ui.execute(() -> error.set(new ErrorInfo(title, message, advice)));
    }

    /** Clears the banner when it shows one of {@code titles} (errors a later success made obsolete). */
    public void clearError(java.util.Set<String> titles) {
        ErrorInfo e = error.get();
        if (e != null && titles.contains(e.title())) {
            error.set(null);
        }
    }

    public void dismissError() {
        error.set(null);
    }
}

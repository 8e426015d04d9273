package studio.pixart.app;

import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.stage.Stage;
import studio.pixart.app.view.AppIcon;
import studio.pixart.app.view.MainWindow;
import studio.pixart.app.view.Themes;
import studio.pixart.app.vm.StudioViewModel;

/** The JavaFX application: one window over one view-model. Started by {@link Launcher}. */
public class StudioApp extends Application {
    /** Set by the launcher for {@code --self-test MODEL_DIR}. */
    static volatile String selfTestModel;

    private final StudioContext context;
    private StudioViewModel vm;
    private MainWindow window;
    private Stage stage;

    public StudioApp() {
        this(null);
    }

    /** Tests pass a context with a temp data folder and their own generation service. */
    public StudioApp(StudioContext context) {
        this.context = context;
    }

    @Override
    public void start(Stage stage) {
        this.stage = stage;
        StudioContext ctx = context != null ? context : StudioContext.defaults();
        String selfTest = selfTestModel;
        if (selfTest != null) {
            ctx = SelfTest.context(ctx);
        }
        vm = new StudioViewModel(ctx, Platform::runLater);
        window = new MainWindow(vm);
        // never larger than the screen (small laptops; headless frame buffers)
        var screen = javafx.stage.Screen.getPrimary().getVisualBounds();
        Scene scene = new Scene(window.root(), Math.min(1380, screen.getWidth()), Math.min(860, screen.getHeight()));
        Themes.apply(scene, vm.preferences.theme.get());
        vm.preferences.theme.addListener((o, a, b) -> Themes.apply(scene, b));
        stage.setScene(scene);
        stage.setTitle("PixArt Studio");
        stage.getIcons().addAll(AppIcon.image(32), AppIcon.image(128));
        stage.setMinWidth(Math.min(1000, screen.getWidth()));
        stage.setMinHeight(Math.min(640, screen.getHeight()));
        if (selfTest != null) {
            SelfTest.reportFirstFrame(scene);
        }
        stage.show();
        window.focusPrompt();
        vm.start(selfTest);
        if (selfTest != null) {
            new SelfTest(vm, selfTest, window.root()).run();
        }
    }

    @Override
    public void stop() {
        if (vm != null) {
            vm.close();
        }
    }

    public StudioViewModel viewModel() {
        return vm;
    }

    public MainWindow window() {
        return window;
    }

    public Stage stage() {
        return stage;
    }
}

package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.ListView;
import javafx.scene.control.Slider;
import javafx.stage.Stage;
import org.controlsfx.control.ToggleSwitch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;
import studio.pixart.app.settings.LoraSetting;
import studio.pixart.app.view.LoraListView;
import studio.pixart.app.vm.LoraListModel;

/** The LoRA list view, headless (Monocle): rows follow the model, switch, slider and remove act on it. */
class LoraListViewUiTest {
    @TempDir
    Path tmp;
    Stage stage;
    final FxRobot robot = new FxRobot();

    @BeforeAll
    static void toolkit() throws TimeoutException {
        FxToolkit.registerPrimaryStage();
    }

    @AfterEach
    void close() throws Exception {
        if (stage != null) {
            WaitForAsyncUtils.asyncFx(stage::close).get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void rowsSwitchSliderAndRemove() throws Exception {
        Path a = Files.write(tmp.resolve("style.safetensors"), new byte[] {1});
        LoraListModel model = new LoraListModel();
        stage = WaitForAsyncUtils.asyncFx(() -> {
            Stage s = new Stage();
            s.setScene(new Scene(new LoraListView(model), 420, 200));
            s.show();
            return s;
        }).get(10, TimeUnit.SECONDS);
        WaitForAsyncUtils.asyncFx(() -> model.apply(List.of(LoraSetting.of(a, 0.7),
                new LoraSetting("", "gone.safetensors", 1.0, true, "")))).get(5, TimeUnit.SECONDS);
        WaitForAsyncUtils.waitForFxEvents();

        ListView<?> list = robot.lookup("#loraItems").queryAs(ListView.class);
        assertEquals(2, list.getItems().size());
        assertTrue(robot.lookup("style.safetensors").tryQuery().isPresent(), "the file name is shown");
        assertTrue(robot.lookup(".lora-missing").tryQuery().isPresent(), "a LoRA without its file is marked");
        Slider slider = robot.lookup("#loraItems").lookup(".slider").queryAs(Slider.class);
        assertEquals(0.7, slider.getValue(), 1e-9);
        WaitForAsyncUtils.asyncFx(() -> slider.setValue(1.25)).get(5, TimeUnit.SECONDS);
        assertEquals(1.25, model.settings().get(0).strength(), 1e-9, "the slider sets the strength");
        ToggleSwitch on = robot.lookup("#loraItems").lookup(".toggle-switch").queryAs(ToggleSwitch.class);
        robot.clickOn(on);
        WaitForAsyncUtils.waitForFxEvents();
        assertFalse(model.settings().get(0).enabled(), "the switch turns it off");
        robot.clickOn(robot.lookup("#loraItems").lookup(".button").queryAs(Button.class));
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(List.of("gone.safetensors"), model.settings().stream().map(LoraSetting::name).toList());
    }
}

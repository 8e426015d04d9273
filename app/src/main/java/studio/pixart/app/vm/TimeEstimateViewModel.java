package studio.pixart.app.vm;

import java.util.concurrent.Executor;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.model.PlannedSize;
import studio.pixart.engine.nd.MatmulRate;
import studio.pixart.engine.pipeline.TimeEstimate;
import studio.pixart.engine.transformer.TransformerConfig;

/**
 * The expected time to a finished image, shown under the size before Generate: the engine's
 * {@link TimeEstimate} for the model, the generated size, steps and guidance, scaled by this
 * machine's measured matmul rate (measured once in the background; the reference machine's until
 * then). CPU only: empty when the device is a GPU.
 */
public final class TimeEstimateViewModel {
    public final StringProperty text = new SimpleStringProperty("");

    private final SizeViewModel size;
    private final FormViewModel form;
    private final ModelViewModel model;
    private double machineGflops;

    public TimeEstimateViewModel(SizeViewModel size, FormViewModel form, ModelViewModel model, Executor ui) {
        this.size = size;
        this.form = form;
        this.model = model;
        size.plannedSize.addListener((o, a, b) -> update());
        form.steps.addListener((o, a, b) -> update());
        form.guidance.addListener((o, a, b) -> update());
        form.device.addListener((o, a, b) -> update());
        model.info.addListener((o, a, b) -> update());
        MatmulRate.measuredOnce().thenAccept(g -> ui.execute(() -> {
            machineGflops = g;
            update();
        }));
        update();
    }

    private void update() {
        text.set(describe(model.info.get(), size.plannedSize.get(), form.steps.get(), form.guidance.get(), form.device.get(),
                machineGflops));
    }

    /** "≈ 3 min 10 s on this computer's CPU (20 steps, new prompt)", or "" when there is nothing to estimate. */
    static String describe(ModelInfo m, PlannedSize p, int steps, double guidance, String device, double gflops) {
        if (m == null || p == null || steps < 1 || (device != null && device.startsWith("cuda"))) {
            return "";
        }
        // Every public PixArt transformer is XL/2; its sample size sets the position grid.
        TimeEstimate.Estimate e = TimeEstimate.estimate(TransformerConfig.pixArtXl(m.sampleSize()), p.generatedWidth(),
                p.generatedHeight(), steps, guidance, m.maxSequenceLength(), false, gflops,
                TimeEstimate.Calibration.referenceMachine());
        return e.describe() + " on this computer's CPU (" + steps + " steps" + (guidance > 1 ? "" : ", no guidance")
                + ", new prompt)";
    }
}

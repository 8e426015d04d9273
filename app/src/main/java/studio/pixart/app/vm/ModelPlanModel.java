package studio.pixart.app.vm;

import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.plan.ExecutionPlan;
import studio.pixart.engine.plan.Plans;

/**
 * How the open model will run on this machine, for the model panel: device and precision per
 * component and the estimated memory of its default image (the engine's planner,
 * {@link Plans#forModel}), and why the GPU is or is not used. Planned off the UI thread (it reads
 * the weight files' headers and starts libtorch); a result for a model that is no longer open is
 * dropped.
 */
public final class ModelPlanModel {
    private final Function<String, ExecutionPlan> planner;
    private final Executor io;
    private final Executor ui;
    private final AtomicLong latest = new AtomicLong();
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper details = new ReadOnlyStringWrapper("");
    private final ReadOnlyBooleanWrapper gpu = new ReadOnlyBooleanWrapper();

    /** {@code planner}: model spec → plan of its default job; {@code io} runs it, {@code ui} publishes. */
    public ModelPlanModel(Function<String, ExecutionPlan> planner, Executor io, Executor ui) {
        this.planner = planner;
        this.io = io;
        this.ui = ui;
    }

    /**
     * A thread of its own for planning (it starts libtorch and reads the weight files' headers: a
     * few seconds the studio's I/O queue — history, settings, images — should not wait behind).
     */
    public static Executor plannerThread() {
        return java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "studio-plan");
            t.setDaemon(true);
            return t;
        });
    }

    /** The engine's planner with automatic device, precision and memory mode. */
    public static Function<String, ExecutionPlan> enginePlanner() {
        return spec -> Plans.forModel(PipelineFolder.open(spec), "auto", "auto", "auto");
    }

    /** "GPU float16 · ~6.1 GB GPU, ~3.0 GB RAM · memory balanced", or empty while nothing is planned. */
    public ReadOnlyStringProperty summary() {
        return summary.getReadOnlyProperty();
    }

    /** One line per component (device, dtype, weights) and the GPU's state. */
    public ReadOnlyStringProperty details() {
        return details.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty usesGpu() {
        return gpu.getReadOnlyProperty();
    }

    /** Plans the model (null or unusable: clears). Call on the UI thread. */
    public void update(ModelInfo model) {
        long id = latest.incrementAndGet();
        if (model == null || !model.usable()) {
            publish(id, "", "", false);
            return;
        }
        summary.set("Planning\u2026");
        details.set("");
        io.execute(() -> {
            try {
                ExecutionPlan p = planner.apply(model.spec());
                ui.execute(() -> publish(id, p.summary(), detailsOf(p), p.usesGpu()));
            } catch (RuntimeException e) {
                String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                ui.execute(() -> publish(id, "No plan", why, false));
            }
        });
    }

    private void publish(long id, String s, String d, boolean onGpu) {
        if (id != latest.get()) {
            return;
        }
        summary.set(s);
        details.set(d);
        gpu.set(onGpu);
    }

    static String detailsOf(ExecutionPlan p) {
        StringBuilder sb = new StringBuilder();
        for (ExecutionPlan.Component c : p.components()) {
            sb.append(String.format(Locale.ROOT, "%-13s %s %s, %s%s%n", c.name(), c.device(), c.dtype(),
                    ExecutionPlan.gb(c.weightBytes()), c.weightsMapped() ? " mapped" : ""));
        }
        sb.append(p.machine().gpu().message());
        if (!p.fits()) {
            sb.append('\n').append(p.refusal());
        }
        return sb.toString();
    }
}

package studio.pixart.app.vm;

import java.security.SecureRandom;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.model.PlannedSize;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.app.settings.Sampler;
import studio.pixart.engine.pipeline.GenerationRequest.PreviewMode;

/**
 * The generation form: the sampling parameters and seed, read together with the prompt and the
 * size into one {@link GenerationSettings} ({@link #form()}), and filled from one ({@link #apply}).
 */
public final class FormViewModel {
    public final IntegerProperty steps = new SimpleIntegerProperty(20);
    public final DoubleProperty guidance = new SimpleDoubleProperty(4.5);
    public final ObjectProperty<Sampler> sampler = new SimpleObjectProperty<>(Sampler.DPM);
    public final LongProperty seed = new SimpleLongProperty(0);
    public final BooleanProperty randomSeed = new SimpleBooleanProperty(true);
    /** The seed of the last job started (-1 before any). */
    public final LongProperty lastSeed = new SimpleLongProperty(-1);
    public final IntegerProperty numImages = new SimpleIntegerProperty(1);
    /** Bound to the preferences (a machine choice, not restored from images). */
    public final StringProperty device = new SimpleStringProperty("auto");
    /** Bound to the preferences (a machine choice, not restored from images). */
    public final StringProperty dtype = new SimpleStringProperty("auto");
    public final ObjectProperty<PreviewMode> previewMode = new SimpleObjectProperty<>(PreviewMode.FAST);
    /** The LoRA list (part of the form: saved in history and settings, restored from images). */
    public final LoraListModel loras = new LoraListModel();

    private final PromptViewModel prompt;
    private final SizeViewModel size;
    private final ModelViewModel model;
    private final SecureRandom random = new SecureRandom();

    public FormViewModel(PromptViewModel prompt, SizeViewModel size, ModelViewModel model) {
        this.prompt = prompt;
        this.size = size;
        this.model = model;
    }

    /** The form as one value (seed as typed). */
    public GenerationSettings form() {
        PlannedSize p = size.plannedSize.get();
        ModelInfo m = model.info.get();
        return new GenerationSettings(prompt.text.get(), prompt.negative.get(), steps.get(), guidance.get(),
                sampler.get().id, seed.get(), randomSeed.get(), size.aspect.get().label(), size.sizeClass.get().side(),
                p.deliveredWidth(), p.deliveredHeight(), numImages.get(), device.get(), dtype.get(),
                previewMode.get().name(), m == null ? model.spec.get() : m.spec(), loras.settings());
    }

    /** The seed for the next job: a fresh one (shown in the field) when random, else the typed one. */
    public long nextSeed() {
        long s = randomSeed.get() ? (random.nextLong() & 0xffffffffL) : seed.get();
        lastSeed.set(s);
        if (randomSeed.get()) {
            seed.set(s);
        }
        return s;
    }

    public void reuseLastSeed() {
        if (lastSeed.get() >= 0) {
            randomSeed.set(false);
            seed.set(lastSeed.get());
        }
    }

    /** An LCM model samples in few steps without guidance. */
    public void useModel(ModelInfo m) {
        if (m != null && m.lcm()) {
            steps.set(4);
            guidance.set(0);
            sampler.set(Sampler.LCM);
        }
    }

    /** Puts settings into the form (from history, a dropped image, or the last session). */
    public void apply(GenerationSettings s, boolean keepRandomSeed) {
        prompt.text.set(s.prompt());
        prompt.negative.set(s.negativePrompt());
        steps.set(s.steps());
        guidance.set(s.guidance());
        Sampler sm = Sampler.parse(s.sampler());
        sampler.set(sm == null ? Sampler.DPM : sm);
        loras.apply(s.loras());
        seed.set(s.seed());
        randomSeed.set(keepRandomSeed && s.randomSeed());
        numImages.set(Math.max(1, s.numImages()));
        try {
            previewMode.set(PreviewMode.valueOf(s.preview()));
        } catch (IllegalArgumentException e) {
            previewMode.set(PreviewMode.FAST);
        }
        size.restore(s.aspect(), s.width(), s.height(), s.sizeClass());
    }
}

package studio.pixart.app;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import studio.pixart.app.model.ModelInfo;
import studio.pixart.app.model.SizePlanner;
import studio.pixart.app.model.T5TokenCounter;
import studio.pixart.app.model.TokenCounter;
import studio.pixart.app.model.WordTokenCounter;
import studio.pixart.engine.job.EngineService;
import studio.pixart.engine.job.GenerationService;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.EmbeddingCache;

/**
 * What the studio is wired to: where it keeps its data and which engine pieces it uses. The app
 * builds one with {@link #defaults()}; tests replace parts (a temp data folder, a scripted
 * service for the view-model tests).
 *
 * @param dataDir          history database, images, settings.json, the prompt-embedding cache
 * @param services         creates the generation service for a data folder (called once, on first generate)
 * @param tokenCounters    a token counter for a loaded model (runs off the UI thread; may load the tokenizer)
 * @param sizePlanner      which size a model generates for a requested size
 * @param modelOpener      opens a model spec (folder or hub id) into what the studio shows
 * @param devices          the devices this build can run on ("auto", "cpu", and "cuda" when libtorch sees a GPU);
 *                         called once, off the UI thread
 */
public record StudioContext(Path dataDir, Function<Path, GenerationService> services,
                            Function<ModelInfo, TokenCounter> tokenCounters, SizePlanner sizePlanner,
                            Function<String, ModelInfo> modelOpener, Supplier<List<String>> devices) {

    /** System property that overrides the data folder (tests, portable installs). */
    public static final String DATA_DIR_PROPERTY = "pixart.studio.data";

    public static StudioContext defaults() {
        return new StudioContext(defaultDataDir(), StudioContext::engineService, StudioContext::defaultTokenCounter,
                new SizePlanner(), ModelInfo::open, StudioContext::engineDevices);
    }

    /**
     * The engine's job service. Prompt embeddings are cached in the data folder, so a prompt seen
     * once runs again without loading T5, and a test's temp data folder keeps its cache to itself.
     */
    public static GenerationService engineService(Path dataDir) {
        return new EngineService(new EmbeddingCache(dataDir.resolve("embedding-cache")), new ModelLocator());
    }

    /** The service the view-model uses, for this context's data folder. */
    public GenerationService newService() {
        return services.apply(dataDir);
    }

    public StudioContext withDataDir(Path dir) {
        return new StudioContext(dir, services, tokenCounters, sizePlanner, modelOpener, devices);
    }

    public StudioContext withServices(Supplier<GenerationService> s) {
        return new StudioContext(dataDir, dir -> s.get(), tokenCounters, sizePlanner, modelOpener, devices);
    }

    public StudioContext withDevices(Supplier<List<String>> d) {
        return new StudioContext(dataDir, services, tokenCounters, sizePlanner, modelOpener, d);
    }

    /** "cuda" only when libtorch sees a CUDA GPU (a CPU build or a machine without one offers auto and cpu). */
    public static List<String> engineDevices() {
        try {
            return Torch.engine().getGpuCount() > 0 ? List.of("auto", "cpu", "cuda") : List.of("auto", "cpu");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return List.of("auto", "cpu");
        }
    }

    /** The model's T5 tokenizer; the word estimate when no model (or no readable tokenizer) is there. */
    public static TokenCounter defaultTokenCounter(ModelInfo model) {
        if (model != null && model.tokenizerDir() != null) {
            try {
                return T5TokenCounter.load(model.tokenizerDir(), model.maxSequenceLength());
            } catch (RuntimeException e) {
                // a broken tokenizer is listed among the model's problems; keep counting roughly
            }
        }
        return fallbackTokenCounter(model);
    }

    public static TokenCounter fallbackTokenCounter(ModelInfo model) {
        return new WordTokenCounter(model == null ? 300 : model.maxSequenceLength());
    }

    /** {@code -Dpixart.studio.data}, else $XDG_DATA_HOME/pixart-studio, else ~/.local/share/pixart-studio. */
    public static Path defaultDataDir() {
        String prop = System.getProperty(DATA_DIR_PROPERTY);
        if (prop != null && !prop.isBlank()) {
            return Paths.get(prop);
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Paths.get(xdg, "pixart-studio");
        }
        return Paths.get(System.getProperty("user.home"), ".local", "share", "pixart-studio");
    }
}

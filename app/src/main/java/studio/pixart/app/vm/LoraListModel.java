package studio.pixart.app.vm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.StringProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import studio.pixart.app.settings.LoraSetting;

/**
 * The LoRA list of the form, without any window: files added by the user (a .safetensors file or
 * a peft adapter folder), each with a strength and an on/off switch; its state is part of
 * {@code GenerationSettings} (so history, settings.json and exported images remember it) and is
 * restored from them. A LoRA restored from a foreign image's text has only a name: it is matched
 * by file name against the LoRAs this list has seen ({@link #known}), else marked missing and not
 * sent to the engine.
 */
public final class LoraListModel {
    /** Strengths the slider offers; the engine accepts −10…10, people use about −1…2. */
    public static final double MIN_STRENGTH = -1.0;
    public static final double MAX_STRENGTH = 2.0;

    /** One row: the file, its strength and switch, and a problem to show (missing file) or "". */
    public static final class Item {
        private final String file;
        private final String name;
        private final String sha256;
        public final DoubleProperty strength;
        public final BooleanProperty enabled;
        private final ReadOnlyStringWrapper problem = new ReadOnlyStringWrapper("");

        Item(LoraSetting s) {
            this.file = s.file();
            this.name = s.name();
            this.sha256 = s.sha256();
            this.strength = new SimpleDoubleProperty(s.strength());
            this.enabled = new SimpleBooleanProperty(s.enabled());
            problem.set(s.file().isBlank() || !Files.exists(Path.of(s.file()))
                    ? "file not found" + (s.file().isBlank() ? " (restored by name)" : ": " + s.file()) : "");
        }

        public String file() {
            return file;
        }

        public String name() {
            return name;
        }

        public ReadOnlyStringProperty problem() {
            return problem.getReadOnlyProperty();
        }

        /** "style.safetensors  0.70" — what the list shows next to the slider. */
        public String label() {
            return String.format(Locale.ROOT, "%s  %.2f", name, strength.get());
        }

        LoraSetting toSetting() {
            return new LoraSetting(file, name, Math.round(strength.get() * 100) / 100.0, enabled.get(), sha256);
        }
    }

    public final ObservableList<Item> items = FXCollections.observableArrayList();
    /** Files this list has held, newest first: used to find a LoRA restored by name. */
    private final List<LoraSetting> known = new ArrayList<>();
    /** The last add() problem ("not a LoRA file: …"), or "". */
    public final StringProperty message = new SimpleStringProperty("");

    /**
     * Adds a file or peft folder at strength 1 (a file already in the list is not added twice).
     *
     * @return false (with {@link #message} saying why) when it cannot be a LoRA
     */
    public boolean add(Path file) {
        String why = whyNotLora(file);
        if (!why.isEmpty()) {
            message.set(why);
            return false;
        }
        message.set("");
        String f = file.toAbsolutePath().normalize().toString();
        if (items.stream().anyMatch(i -> i.file.equals(f))) {
            return true;
        }
        LoraSetting s = new LoraSetting(f, null, 1.0, true, "");
        items.add(new Item(s));
        remember(s);
        return true;
    }

    public void remove(Item item) {
        items.remove(item);
    }

    /** The list as settings (every row, on or off). */
    public List<LoraSetting> settings() {
        return items.stream().map(Item::toSetting).toList();
    }

    /** Replaces the list with restored settings, finding name-only entries among the known files. */
    public void apply(List<LoraSetting> settings) {
        items.clear();
        for (LoraSetting s : settings == null ? List.<LoraSetting>of() : settings) {
            LoraSetting resolved = s.file().isBlank() || !Files.exists(Path.of(s.file())) ? resolve(s) : s;
            items.add(new Item(resolved));
            if (!resolved.file().isBlank()) {
                remember(resolved);
            }
        }
    }

    /** Remembers files from elsewhere (settings of earlier sessions), so names restore to them. */
    public void learn(List<LoraSetting> settings) {
        settings.stream().filter(s -> !s.file().isBlank()).forEach(this::remember);
    }

    private void remember(LoraSetting s) {
        known.removeIf(k -> k.file().equals(s.file()));
        known.add(0, s);
    }

    private LoraSetting resolve(LoraSetting s) {
        for (LoraSetting k : known) {
            if (k.name().equals(s.name()) && Files.exists(Path.of(k.file()))) {
                return s.withFile(k.file(), s.sha256());
            }
        }
        return s;
    }

    static String whyNotLora(Path file) {
        if (file == null || !Files.exists(file)) {
            return "not found: " + file;
        }
        if (Files.isDirectory(file)) {
            return Files.isRegularFile(file.resolve("adapter_model.safetensors")) ? ""
                    : "not a LoRA: the folder " + file.getFileName() + " has no adapter_model.safetensors";
        }
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors") ? ""
                : "not a LoRA: " + file.getFileName() + " is not a .safetensors file";
    }
}

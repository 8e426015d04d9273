package studio.pixart.engine.io;

import java.nio.file.Path;

/** A configuration or model-folder problem, naming the file at fault. */
public class ConfigException extends RuntimeException {
    public ConfigException(Path file, String message) {
        super((file == null ? "" : file + ": ") + message);
    }

    public ConfigException(String message) {
        super(message);
    }
}

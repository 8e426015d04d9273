package studio.pixart.engine.io;

import java.nio.file.Path;

/** A checkpoint file that cannot be used: names the file and, where known, the tensor. */
public class SafetensorsException extends RuntimeException {
    public SafetensorsException(Path file, String tensor, String message) {
        super(file + (tensor == null ? "" : " [tensor '" + tensor + "']") + ": " + message);
    }

    public SafetensorsException(Path file, String tensor, String message, Throwable cause) {
        super(file + (tensor == null ? "" : " [tensor '" + tensor + "']") + ": " + message, cause);
    }
}

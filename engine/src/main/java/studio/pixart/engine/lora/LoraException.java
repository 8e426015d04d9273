package studio.pixart.engine.lora;

import java.nio.file.Path;

/** A LoRA that cannot be used: the message names the file and the module or tensor at fault. */
public class LoraException extends IllegalArgumentException {
    public LoraException(Path file, String message) {
        super("LoRA " + file + ": " + message);
    }

    public LoraException(String message) {
        super(message);
    }
}

package studio.pixart.engine.lora;

import java.nio.file.Path;

/**
 * One LoRA to merge: a .safetensors file or a peft adapter folder and its strength (the factor s
 * in W' = W + s · scale · B·A; 1 = as trained, 0 = off, negative values invert it).
 */
public record LoraSpec(Path file, double strength) {
    public LoraSpec {
        if (file == null) {
            throw new IllegalArgumentException("a LoRA needs a file");
        }
        if (!Double.isFinite(strength) || Math.abs(strength) > 10) {
            throw new IllegalArgumentException("LoRA strength must be between -10 and 10, got " + strength + " for " + file);
        }
    }

    /**
     * {@code FILE[:STRENGTH]}, e.g. {@code style.safetensors:0.7}; without a number after the last
     * colon the whole text is the file (so {@code C:\loras\x.safetensors} works) at strength 1.
     */
    public static LoraSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("--lora needs FILE[:STRENGTH]");
        }
        int colon = text.lastIndexOf(':');
        if (colon > 0 && colon < text.length() - 1) {
            String tail = text.substring(colon + 1);
            if (tail.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
                return new LoraSpec(Path.of(text.substring(0, colon)), Double.parseDouble(tail));
            }
            if (!tail.startsWith("\\") && !tail.startsWith("/")) {
                throw new IllegalArgumentException("--lora " + text + ": the strength after ':' must be a number, got \""
                        + tail + "\"");
            }
        }
        return new LoraSpec(Path.of(text), 1.0);
    }

    /** "FILE:STRENGTH", readable by {@link #parse}. */
    @Override
    public String toString() {
        return file + ":" + strength;
    }
}

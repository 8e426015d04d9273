package studio.pixart.engine.vae;

/** A VAE computation that cannot give a usable result (e.g. NaN/Inf from a float16 decode). */
public class VaeException extends RuntimeException {
    public VaeException(String message) {
        super(message);
    }
}

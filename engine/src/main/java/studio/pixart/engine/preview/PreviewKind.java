package studio.pixart.engine.preview;

/** How a step preview was made: the fast latent→RGB projection or a real (down-sampled) VAE decode. */
public enum PreviewKind { FAST, VAE }

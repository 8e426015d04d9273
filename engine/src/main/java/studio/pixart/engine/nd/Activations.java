package studio.pixart.engine.nd;

import ai.djl.ndarray.NDArray;

/** Activations that DJL lacks in the form the reference models use. */
public final class Activations {
    private Activations() {}

    /**
     * GELU, tanh approximation (transformers' {@code gelu_new}, torch's {@code gelu(approximate="tanh")}):
     * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). DJL's native gelu is the erf form. Used by T5's
     * gated feed-forward and PixArt's feed-forward and caption projection.
     */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = x.pow(3).mul(0.044715f).add(x).mul((float) Math.sqrt(2.0 / Math.PI));
        return x.mul(0.5f).mul(inner.tanh().add(1f));
    }
}

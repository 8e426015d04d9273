package studio.pixart.engine.scheduler;

/**
 * Guards the per-run protocol shared by all schedulers: setTimesteps before stepping, step
 * indices in range and in order (the first one may be anywhere, like diffusers'
 * {@code set_begin_index}), and matching array lengths.
 */
final class StepOrder {
    private final String className;
    private boolean ready;
    private int next = -1;

    StepOrder(String className) {
        this.className = className;
    }

    void reset() {
        ready = true;
        next = -1;
    }

    void requireReady() {
        if (!ready) {
            throw new IllegalStateException(className + ": call setTimesteps before using the scheduler");
        }
    }

    void checkIndex(int stepIndex, int numSteps) {
        requireReady();
        if (stepIndex < 0 || stepIndex >= numSteps) {
            throw new IndexOutOfBoundsException(
                    className + ": step index " + stepIndex + " outside 0.." + (numSteps - 1));
        }
    }

    /** Validates a step call; {@link #advance} after it succeeded. */
    void check(int stepIndex, int numSteps, float[] modelOutput, float[] sample) {
        checkIndex(stepIndex, numSteps);
        if (next >= 0 && stepIndex != next) {
            throw new IllegalStateException(className + ": expected step " + next + " but got " + stepIndex
                    + " (steps must run in order; call setTimesteps to start a new run)");
        }
        if (modelOutput.length != sample.length) {
            throw new IllegalArgumentException(className + ": model output has " + modelOutput.length
                    + " values but the sample has " + sample.length);
        }
    }

    void advance(int stepIndex) {
        next = stepIndex + 1;
    }

    /** Validates a requested step count against the allowed maximum. */
    static void checkSteps(String className, int n, int max, String maxName) {
        if (n < 1) {
            throw new IllegalArgumentException(className + ": num_inference_steps must be at least 1, got " + n);
        }
        if (n > max) {
            throw new IllegalArgumentException(className + ": num_inference_steps " + n + " exceeds " + maxName
                    + " (" + max + ")");
        }
    }
}

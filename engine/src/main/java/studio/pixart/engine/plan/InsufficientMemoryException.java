package studio.pixart.engine.plan;

/**
 * A job the machine cannot hold, refused before any work with the estimate, what the machine has
 * and what to change ({@link #advice()}).
 */
public final class InsufficientMemoryException extends IllegalArgumentException {
    private final transient ExecutionPlan plan;
    private final String refusal;
    private final String advice;

    public InsufficientMemoryException(String refusal, String advice, ExecutionPlan plan) {
        super(refusal + ": " + advice);
        this.refusal = refusal;
        this.advice = advice;
        this.plan = plan;
    }

    /** What does not fit, with the numbers (the message without the advice). */
    public String refusal() {
        return refusal;
    }

    public String advice() {
        return advice;
    }

    public ExecutionPlan plan() {
        return plan;
    }
}

package studio.pixart.engine.plan;

/**
 * A job the machine cannot hold, refused before any work with the estimate, what the machine has
 * and what to change ({@link #advice()}).
 */
public final class InsufficientMemoryException extends IllegalArgumentException {
    private final transient ExecutionPlan plan;
    private final String advice;

    public InsufficientMemoryException(String message, String advice, ExecutionPlan plan) {
        super(message + ": " + advice);
        this.advice = advice;
        this.plan = plan;
    }

    public String advice() {
        return advice;
    }

    public ExecutionPlan plan() {
        return plan;
    }
}

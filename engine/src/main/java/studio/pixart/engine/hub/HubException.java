package studio.pixart.engine.hub;

/**
 * A download that cannot go on, with a message for the person at the keyboard: what happened, to
 * which model or file, and what to do about it.
 */
public final class HubException extends RuntimeException {
    /** What went wrong; the studio and the CLI pick their advice by it. */
    public enum Kind { AUTH, ACCESS, NOT_FOUND, RANGE, SERVER, NETWORK, DISK, OFFLINE, VERIFY, PROTOCOL, IO }

    private final Kind kind;
    private final int status;

    public HubException(Kind kind, String message) {
        this(kind, 0, message, null);
    }

    public HubException(Kind kind, int status, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.status = status;
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status behind the failure, 0 when there was none. */
    public int status() {
        return status;
    }

    /** True for failures worth another try after a pause (5xx, 429, dropped connection, stall). */
    public boolean transientFailure() {
        return kind == Kind.SERVER || kind == Kind.NETWORK;
    }
}

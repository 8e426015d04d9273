package studio.pixart.app.vm;

/** An error shown in the window: what happened (the engine's specific message) and what to do. */
public record ErrorInfo(String title, String message, String advice) {}

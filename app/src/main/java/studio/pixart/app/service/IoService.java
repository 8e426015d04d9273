package studio.pixart.app.service;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The studio's one thread for slow work that is not the engine's: model inspection, the history
 * database, image files, settings. Tasks run in submission order, so a later read sees an earlier
 * write.
 */
public final class IoService implements AutoCloseable {
    private final ExecutorService io = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "studio-io");
        t.setDaemon(true);
        return t;
    });

    /** Queues a task; after {@link #close} (a late engine event while the studio closes) it is dropped. */
    public void execute(Runnable task) {
        try {
            io.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the studio is closing: nothing left to save to
        }
    }

    /** Waits until every task queued so far has run (tests, shutdown). */
    public void await() throws InterruptedException {
        if (io.isShutdown()) {
            return;
        }
        CountDownLatch latch = new CountDownLatch(1);
        io.execute(latch::countDown);
        latch.await(20, TimeUnit.SECONDS);
    }

    /** Runs what is queued (up to 10 s), then stops the thread. */
    @Override
    public void close() {
        io.shutdown();
        try {
            io.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

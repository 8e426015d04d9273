package studio.pixart.engine.nd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The machine's practical float32 compute rate through this libtorch: the yardstick for step times and estimates. */
public final class MatmulRate {
    private static java.util.concurrent.CompletableFuture<Double> measured;

    private MatmulRate() {}

    /**
     * This machine's rate, measured once per process on its own short-lived thread (a 1024³ matmul,
     * well under a second) and then cached; for estimates shown before anything runs.
     */
    public static synchronized java.util.concurrent.CompletableFuture<Double> measuredOnce() {
        if (measured == null) {
            measured = new java.util.concurrent.CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    Torch.prepareThread();
                    measured.complete(gflops(1024, 3));
                } catch (RuntimeException | Error e) {
                    measured.completeExceptionally(e);
                }
            }, "pixart-matmul-rate");
            t.setDaemon(true);
            t.start();
        }
        return measured;
    }

    /** GFLOP/s of an n×n×n float32 matmul (2n³ FLOPs), median of {@code runs} after one warm-up; call on a tensor thread. */
    public static double gflops(int n, int runs) {
        try (NDManager m = Torch.newManager()) {
            Torch.seed(1);
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            a.matMul(b).close();
            List<Double> rates = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                long s = System.nanoTime();
                NDArray c = a.matMul(b);
                c.toFloatArray(); // make sure it ran (libtorch CPU is synchronous anyway)
                rates.add(2.0 * n * n * n / ((System.nanoTime() - s) / 1e9) / 1e9);
                c.close();
            }
            Collections.sort(rates);
            int k = rates.size();
            return k % 2 == 1 ? rates.get(k / 2) : (rates.get(k / 2 - 1) + rates.get(k / 2)) / 2;
        }
    }
}

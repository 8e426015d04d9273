package studio.pixart.engine.nd;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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

    /** GFLOP/s of an n×n×n float32 matmul on the CPU (2n³ FLOPs), median of {@code runs} after one warm-up; call on a tensor thread. */
    public static double gflops(int n, int runs) {
        return gflops(n, runs, Device.cpu(), DataType.FLOAT32);
    }

    /**
     * GFLOP/s of an n×n×n matmul (2n³ FLOPs) on a device and dtype, median of {@code runs} after one
     * warm-up. On a GPU one run is 20 products launched back to back and ended by reading one
     * number back (the launches are asynchronous; a single product of 2048³ is too short to time).
     */
    public static double gflops(int n, int runs, Device dev, DataType dt) {
        int perRun = dev.isGpu() ? 20 : 1;
        try (NDManager host = Torch.newManager(); NDManager m = Torch.engine().newBaseManager(dev)) {
            Torch.seed(1);
            NDArray a = host.randomNormal(new Shape(n, n)).toDevice(dev, false).toType(dt, false);
            NDArray b = host.randomNormal(new Shape(n, n)).toDevice(dev, false).toType(dt, false);
            a.attach(m);
            b.attach(m);
            a.matMul(b).sum().toType(DataType.FLOAT32, false).getFloat();
            List<Double> rates = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                try (NDManager run = m.newSubManager()) {
                    long s = System.nanoTime();
                    NDArray c = null;
                    for (int k = 0; k < perRun; k++) {
                        c = a.matMul(b);
                        c.attach(run);
                    }
                    c.get(0, 0).toType(DataType.FLOAT32, false).getFloat(); // waits for the device
                    rates.add(perRun * 2.0 * n * n * n / ((System.nanoTime() - s) / 1e9) / 1e9);
                }
            }
            Collections.sort(rates);
            int k = rates.size();
            return k % 2 == 1 ? rates.get(k / 2) : (rates.get(k / 2 - 1) + rates.get(k / 2)) / 2;
        }
    }
}

package studio.pixart.engine.nd;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.lang.management.MemoryUsage;

/**
 * Peak GPU memory in use while a piece of work runs, for benchmarks. DJL 0.33 exposes no
 * allocator statistics of libtorch, so this samples {@code cudaMemGetInfo} (through DJL's
 * {@link CudaUtils}) every few milliseconds on a daemon thread: memory in use on the whole device
 * (libtorch's caching allocator with what it holds, the CUDA context, other processes), from just
 * before the work to its end. Short spikes between two samples can be missed; the caching
 * allocator keeps freed blocks, so they rarely are.
 */
public final class GpuMemoryMonitor implements AutoCloseable {
    private static final long PERIOD_MILLIS = 5;

    private final Device device;
    private final String unavailable;
    private final long baseline;
    private volatile long peak;
    private volatile boolean running = true;
    private final Thread sampler;

    private GpuMemoryMonitor(Device device) {
        this.device = device;
        String why = null;
        long base = 0;
        if (!device.isGpu()) {
            why = "not a GPU run";
        } else {
            try {
                base = used(device);
            } catch (RuntimeException | LinkageError e) {
                why = "cudaMemGetInfo is not reachable (" + e.getMessage() + "); DJL loads libcudart through JNA:"
                        + " put its folder on LD_LIBRARY_PATH or -Djna.library.path";
            }
        }
        this.unavailable = why;
        this.baseline = base;
        this.peak = base;
        if (why == null) {
            sampler = new Thread(this::sample, "gpu-memory-monitor");
            sampler.setDaemon(true);
            sampler.start();
        } else {
            sampler = null;
        }
    }

    /** Starts sampling now; on a CPU device (or without libcudart) it only says why not. */
    public static GpuMemoryMonitor start(Device device) {
        return new GpuMemoryMonitor(device);
    }

    private static long used(Device device) {
        MemoryUsage u = CudaUtils.getGpuMemory(device);
        return u.getCommitted();
    }

    private void sample() {
        while (running) {
            try {
                peak = Math.max(peak, used(device));
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                return; // the device went away: keep the peak seen so far
            }
        }
    }

    public boolean available() {
        return unavailable == null;
    }

    /** Why there is no reading (null when {@link #available}). */
    public String unavailableReason() {
        return unavailable;
    }

    /** Bytes in use on the device when sampling started. */
    public long baselineBytes() {
        return baseline;
    }

    /** The highest bytes in use seen so far (one last sample is taken now). */
    public long peakBytes() {
        if (available()) {
            try {
                peak = Math.max(peak, used(device));
            } catch (RuntimeException e) {
                // keep the sampled peak
            }
        }
        return peak;
    }

    /** One line for a report: the peak and the baseline, or why there is no reading. */
    public String describe() {
        if (!available()) {
            return "n/a (" + unavailable + ")";
        }
        return String.format("%.2f GB in use on the device (cudaMemGetInfo, sampled every %d ms; %.2f GB before)",
                peakBytes() / 1e9, PERIOD_MILLIS, baseline / 1e9);
    }

    @Override
    public void close() {
        running = false;
        if (sampler != null) {
            sampler.interrupt();
        }
    }
}

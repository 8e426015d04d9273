package studio.pixart.engine.plan;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import studio.pixart.engine.nd.Torch;

/**
 * The machine a plan is made for: RAM (total and available, from {@code /proc/meminfo}), cores,
 * the Java heap limit (images and tile results live there), and the GPU: its memory and, when it
 * is not used, why ({@link GpuStatus}).
 *
 * @param gpuTotalBytes 0 when no GPU is usable
 */
public record MachineInfo(long ramTotalBytes, long ramAvailableBytes, int cores, long heapMaxBytes,
                          long gpuTotalBytes, long gpuFreeBytes, GpuStatus gpu) {

    public boolean hasGpu() {
        return gpu.gpuUsable() && gpuTotalBytes > 0;
    }

    /** A CPU-only machine (for tests and what-if plans). */
    public static MachineInfo cpuOnly(long ramTotal, long ramAvailable, int cores, long heapMax) {
        return new MachineInfo(ramTotal, ramAvailable, cores, heapMax, 0, 0,
                new GpuStatus(GpuStatus.Kind.CPU_BUILD, "no GPU"));
    }

    public MachineInfo withGpu(long total, long free, GpuStatus status) {
        return new MachineInfo(ramTotalBytes, ramAvailableBytes, cores, heapMaxBytes, total, free, status);
    }

    /**
     * {@code -Dpixart.plan.ram=24g}: plan as if the machine had this much RAM (what-if plans, and
     * tests that must give the same answer on any machine).
     */
    public static final String RAM_PROPERTY = "pixart.plan.ram";

    private static volatile GpuStatus detectedGpu;

    /**
     * This machine now. Starts libtorch (the GPU count comes from it); the GPU's identity is probed
     * once per process, its free memory and the RAM on every call.
     */
    public static MachineInfo detect() {
        long[] ram = readMeminfo();
        long asIf = parseBytes(System.getProperty(RAM_PROPERTY));
        if (asIf > 0) {
            ram = new long[] {asIf, Math.min(asIf, ram[1] > 0 ? ram[1] : asIf)};
        }
        Runtime rt = Runtime.getRuntime();
        GpuStatus status = gpuStatus();
        long total = 0;
        long free = 0;
        if (status.gpuUsable()) {
            long[] m = gpuMemory();
            total = m[0];
            free = m[1];
        }
        return new MachineInfo(ram[0], ram[1], rt.availableProcessors(), rt.maxMemory(), total, free, status);
    }

    /** The GPU's state, detected once per process (starting libtorch if needed). */
    public static GpuStatus gpuStatus() {
        GpuStatus s = detectedGpu;
        if (s == null) {
            synchronized (MachineInfo.class) {
                if (detectedGpu == null) {
                    detectedGpu = probeGpu();
                }
                s = detectedGpu;
            }
        }
        return s;
    }

    /** After a GPU failure at load (e.g. out of memory) the rest of the process runs on the CPU and says why. */
    public static synchronized void gpuFailed(String error) {
        detectedGpu = GpuStatus.diagnose(new GpuStatus.Probe(GpuStatus.bundledFlavor(), GpuStatus.readDriverVersionFile(),
                GpuStatus.libcudaPresent(), 0, null, error));
    }

    private static GpuStatus probeGpu() {
        String flavor = GpuStatus.bundledFlavor();
        String driverFile = GpuStatus.readDriverVersionFile();
        boolean libcuda = GpuStatus.libcudaPresent();
        int count = 0;
        String name = null;
        String error = null;
        try {
            Engine e = Torch.engine();
            count = e.getGpuCount();
            if (count > 0) {
                name = "NVIDIA GPU 0 (compute capability " + CudaUtils.getComputeCapability(0) + ")";
            }
        } catch (RuntimeException | UnsatisfiedLinkError ex) {
            error = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        }
        return GpuStatus.diagnose(new GpuStatus.Probe(flavor, driverFile, libcuda, count, name, error));
    }

    private static long[] gpuMemory() {
        try {
            MemoryUsage u = CudaUtils.getGpuMemory(Device.gpu());
            return new long[] {u.getMax(), u.getMax() - u.getCommitted()};
        } catch (RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** "24g", "512m", "1000000" → bytes (binary units); 0 for null or blank, an error naming the property otherwise. */
    static long parseBytes(String s) {
        if (s == null || s.isBlank()) {
            return 0;
        }
        String v = s.trim().toLowerCase(java.util.Locale.ROOT);
        long unit = 1;
        char last = v.charAt(v.length() - 1);
        if (last == 'g' || last == 'm' || last == 'k') {
            unit = last == 'g' ? 1L << 30 : last == 'm' ? 1L << 20 : 1L << 10;
            v = v.substring(0, v.length() - 1);
        }
        try {
            double d = Double.parseDouble(v);
            if (!(d > 0)) {
                throw new NumberFormatException();
            }
            return (long) (d * unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(RAM_PROPERTY + " must be a size such as 24g or 16384m, got '" + s + "'");
        }
    }

    /** {MemTotal, MemAvailable} in bytes; {0, 0} where /proc/meminfo cannot be read. */
    static long[] readMeminfo() {
        try {
            return parseMeminfo(Files.readString(Path.of("/proc/meminfo")));
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** {MemTotal, MemAvailable} from the text of /proc/meminfo (values in kB); MemFree + Cached where MemAvailable is missing. */
    static long[] parseMeminfo(String text) {
        long total = 0;
        long available = -1;
        long free = 0;
        long cached = 0;
        for (String line : text.split("\n")) {
            String[] p = line.trim().split("\\s+");
            if (p.length < 2) {
                continue;
            }
            long kb;
            try {
                kb = Long.parseLong(p[1]);
            } catch (NumberFormatException e) {
                continue;
            }
            switch (p[0]) {
                case "MemTotal:" -> total = kb * 1024;
                case "MemAvailable:" -> available = kb * 1024;
                case "MemFree:" -> free = kb * 1024;
                case "Cached:" -> cached = kb * 1024;
                default -> { }
            }
        }
        return new long[] {total, available >= 0 ? available : free + cached};
    }
}

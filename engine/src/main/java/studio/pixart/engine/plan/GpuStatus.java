package studio.pixart.engine.plan;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether the GPU is used, and if not, why — in words a person can act on. The facts come from
 * the machine ({@link Probe}: the libtorch build bundled with this package, the NVIDIA kernel
 * driver's version file, whether {@code libcuda.so.1} exists, the GPU count libtorch reports, a
 * load failure); {@link #diagnose} turns them into one of the {@link Kind}s and a sentence.
 *
 * <p>The CUDA package carries the CPU libtorch as well: DJL selects the CUDA build only when the
 * CUDA runtime reports a GPU, and otherwise takes the CPU build from the same folder, so the CUDA
 * package starts and runs on the CPU on a machine without a usable driver. This class only
 * explains that decision.
 */
public record GpuStatus(Kind kind, String message) {
    /**
     * Oldest Linux driver that runs CUDA 12.x applications (CUDA's minor-version compatibility);
     * CUDA 12.4's own toolkit driver is 550.54.14.
     */
    public static final String MIN_DRIVER = "525.60.13";

    public enum Kind {
        /** The GPU is used. */
        GPU,
        /** This package bundles the CPU libtorch only. */
        CPU_BUILD,
        /** No NVIDIA kernel driver and no libcuda. */
        NO_DRIVER,
        /** A driver older than {@link #MIN_DRIVER}. */
        DRIVER_TOO_OLD,
        /** A driver, but libtorch sees no GPU (no device, no permission, libcuda missing). */
        NO_DEVICE,
        /** The CUDA libraries failed to load or to start. */
        LOAD_FAILED,
        /** The GPU ran out of memory while the model was loading. */
        OUT_OF_MEMORY,
        /** The user asked for the CPU. */
        NOT_REQUESTED
    }

    /** What was observed; every field may be absent (null / false / 0). */
    public record Probe(String nativesFlavor, String driverVersionFile, boolean libcudaFound, int gpuCount,
                        String gpuName, String loadError) {}

    public boolean gpuUsable() {
        return kind == Kind.GPU;
    }

    /** The sentence for a person; for the CPU cases it ends with what runs instead. */
    public static GpuStatus diagnose(Probe p) {
        String flavor = p.nativesFlavor() == null ? "" : p.nativesFlavor().toLowerCase(Locale.ROOT);
        String driver = driverVersion(p.driverVersionFile());
        boolean cudaBuild = flavor.startsWith("cu");
        if (!cudaBuild) {
            if (driver != null || p.libcudaFound()) {
                return new GpuStatus(Kind.CPU_BUILD, "an NVIDIA driver" + (driver == null ? "" : " (" + driver + ")")
                        + " is installed, but this is the CPU package: install pixart-studio-cuda to use the GPU; running on the CPU");
            }
            return new GpuStatus(Kind.CPU_BUILD, "this is the CPU package (libtorch " + (flavor.isEmpty() ? "cpu" : flavor)
                    + "); running on the CPU");
        }
        if (p.loadError() != null) {
            String e = p.loadError();
            if (e.toLowerCase(Locale.ROOT).contains("out of memory")) {
                return new GpuStatus(Kind.OUT_OF_MEMORY, "the GPU ran out of memory while loading the model (" + e
                        + "); running on the CPU — close other programs using the GPU or choose --memory low");
            }
            return new GpuStatus(Kind.LOAD_FAILED, "the CUDA libraries could not be started (" + e + "); running on the CPU");
        }
        if (p.gpuCount() > 0) {
            return new GpuStatus(Kind.GPU, "using " + (p.gpuName() == null ? "the NVIDIA GPU" : p.gpuName())
                    + (driver == null ? "" : ", driver " + driver) + " (CUDA 12.4)");
        }
        if (driver == null && !p.libcudaFound()) {
            return new GpuStatus(Kind.NO_DRIVER, "no NVIDIA driver found (no /proc/driver/nvidia/version, no libcuda.so.1): "
                    + "running on the CPU — install the NVIDIA driver " + MIN_DRIVER + " or newer to use the GPU");
        }
        if (driver != null && compareVersions(driver, MIN_DRIVER) < 0) {
            return new GpuStatus(Kind.DRIVER_TOO_OLD, "the NVIDIA driver " + driver + " is too old for CUDA 12.4 (needs "
                    + MIN_DRIVER + " or newer): running on the CPU — update the driver to use the GPU");
        }
        if (!p.libcudaFound()) {
            return new GpuStatus(Kind.NO_DEVICE, "the NVIDIA kernel driver " + driver + " is loaded but libcuda.so.1 was not "
                    + "found (install the driver's user-space libraries, e.g. libnvidia-compute): running on the CPU");
        }
        return new GpuStatus(Kind.NO_DEVICE, "an NVIDIA driver" + (driver == null ? "" : " (" + driver + ")")
                + " is installed but CUDA sees no usable GPU (none present, or no permission on /dev/nvidia*): running on the CPU");
    }

    /** The user chose the CPU; the GPU's state is still reported. */
    public static GpuStatus notRequested(GpuStatus detected) {
        return new GpuStatus(Kind.NOT_REQUESTED, "--device cpu: running on the CPU"
                + (detected.gpuUsable() ? " (a GPU is available: " + detected.message() + ")" : ""));
    }

    /**
     * The driver version from {@code /proc/driver/nvidia/version}
     * ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 …"), or null.
     */
    static String driverVersion(String versionFile) {
        if (versionFile == null) {
            return null;
        }
        Matcher m = Pattern.compile("Kernel Module(?: for [^ ]+)?\\s+(\\d+\\.\\d+(?:\\.\\d+)?)").matcher(versionFile);
        if (m.find()) {
            return m.group(1);
        }
        Matcher any = Pattern.compile("NVRM version:.*?(\\d{3,}\\.\\d+(?:\\.\\d+)?)").matcher(versionFile);
        return any.find() ? any.group(1) : null;
    }

    /** Numeric comparison of dotted versions ("470.82.01" < "525.60.13"); missing parts count as 0. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long u = i < x.length ? Long.parseLong(x[i]) : 0;
            long v = i < y.length ? Long.parseLong(y[i]) : 0;
            if (u != v) {
                return Long.compare(u, v);
            }
        }
        return 0;
    }

    // ------------------------------------------------------------------------------------------
    // Observing the machine (no libtorch needed except for the GPU count)

    /** The flavour of the libtorch this package bundles ("cpu", "cu124"), from DJL's descriptor on the class path. */
    public static String bundledFlavor() {
        try (InputStream in = GpuStatus.class.getResourceAsStream("/native/lib/pytorch.properties")) {
            if (in == null) {
                return null;
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("flavor");
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code /proc/driver/nvidia/version}, or null when the NVIDIA kernel driver is not loaded. */
    static String readDriverVersionFile() {
        try {
            return Files.readString(Path.of("/proc/driver/nvidia/version"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Whether {@code libcuda.so.1} (the driver's user-space library) is in a library folder. */
    static boolean libcudaPresent() {
        List<String> dirs = new ArrayList<>(List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu",
                "/lib64", "/usr/local/cuda/compat", "/usr/lib/wsl/lib"));
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            dirs.addAll(List.of(ld.split(":")));
        }
        for (String d : dirs) {
            if (!d.isBlank() && Files.exists(Path.of(d, "libcuda.so.1"))) {
                return true;
            }
        }
        return false;
    }
}

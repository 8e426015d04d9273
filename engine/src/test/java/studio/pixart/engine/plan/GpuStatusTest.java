package studio.pixart.engine.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Why the GPU is (not) used: the message for each combination of what the machine shows. */
class GpuStatusTest {
    static final String DRIVER_550 = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n"
            + "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";
    static final String DRIVER_470 = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.82.01  Wed Oct 27 04:35:25 UTC 2021\n";
    static final String OPEN_DRIVER = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  535.104.05  Release Build\n";

    static GpuStatus diagnose(String flavor, String driverFile, boolean libcuda, int gpus, String error) {
        return GpuStatus.diagnose(new GpuStatus.Probe(flavor, driverFile, libcuda, gpus, "NVIDIA GPU 0 (compute capability 89)", error));
    }

    @Test
    void driverVersionIsReadFromTheKernelModuleLine() {
        assertEquals("550.54.14", GpuStatus.driverVersion(DRIVER_550));
        assertEquals("470.82.01", GpuStatus.driverVersion(DRIVER_470));
        assertEquals("535.104.05", GpuStatus.driverVersion(OPEN_DRIVER));
        assertNull(GpuStatus.driverVersion(null));
        assertNull(GpuStatus.driverVersion("garbage"));
    }

    @Test
    void versionsCompareNumerically() {
        assertTrue(GpuStatus.compareVersions("470.82.01", GpuStatus.MIN_DRIVER) < 0);
        assertTrue(GpuStatus.compareVersions("525.60.13", GpuStatus.MIN_DRIVER) == 0);
        assertTrue(GpuStatus.compareVersions("525.105", GpuStatus.MIN_DRIVER) > 0);
        assertTrue(GpuStatus.compareVersions("1000.1", "999.99.99") > 0);
    }

    @Test
    void cudaBuildWithAWorkingGpuUsesIt() {
        GpuStatus s = diagnose("cu124", DRIVER_550, true, 1, null);
        assertEquals(GpuStatus.Kind.GPU, s.kind());
        assertTrue(s.gpuUsable());
        assertTrue(s.message().contains("550.54.14") && s.message().contains("compute capability 89"), s.message());
    }

    @Test
    void noDriverAtAll() {
        GpuStatus s = diagnose("cu124", null, false, 0, null);
        assertEquals(GpuStatus.Kind.NO_DRIVER, s.kind());
        assertFalse(s.gpuUsable());
        assertTrue(s.message().startsWith("no NVIDIA driver found") && s.message().contains("running on the CPU")
                && s.message().contains(GpuStatus.MIN_DRIVER), s.message());
    }

    @Test
    void driverTooOldForCuda124() {
        GpuStatus s = diagnose("cu124", DRIVER_470, true, 0, null);
        assertEquals(GpuStatus.Kind.DRIVER_TOO_OLD, s.kind());
        assertTrue(s.message().contains("470.82.01 is too old for CUDA 12.4") && s.message().contains("running on the CPU"), s.message());
    }

    @Test
    void recentDriverButNoDeviceOrNoLibcuda() {
        GpuStatus noDevice = diagnose("cu124", DRIVER_550, true, 0, null);
        assertEquals(GpuStatus.Kind.NO_DEVICE, noDevice.kind());
        assertTrue(noDevice.message().contains("CUDA sees no usable GPU"), noDevice.message());
        GpuStatus noLib = diagnose("cu124", DRIVER_550, false, 0, null);
        assertEquals(GpuStatus.Kind.NO_DEVICE, noLib.kind());
        assertTrue(noLib.message().contains("libcuda.so.1 was not found"), noLib.message());
        // WSL: libcuda without /proc/driver/nvidia — not "too old", not "no driver"
        GpuStatus wsl = diagnose("cu124", null, true, 0, null);
        assertEquals(GpuStatus.Kind.NO_DEVICE, wsl.kind());
    }

    @Test
    void loadFailuresAndOutOfMemory() {
        GpuStatus oom = diagnose("cu124", DRIVER_550, true, 1, "CUDA out of memory. Tried to allocate 2.00 GiB");
        assertEquals(GpuStatus.Kind.OUT_OF_MEMORY, oom.kind());
        assertTrue(oom.message().startsWith("the GPU ran out of memory while loading the model")
                && oom.message().contains("2.00 GiB") && oom.message().contains("running on the CPU"), oom.message());
        GpuStatus failed = diagnose("cu124", DRIVER_550, true, 0, "libcuda.so.1: cannot open shared object file");
        assertEquals(GpuStatus.Kind.LOAD_FAILED, failed.kind());
        assertTrue(failed.message().contains("cannot open shared object file"), failed.message());
    }

    @Test
    void cpuPackageSaysSoAndPointsToTheCudaPackageWhenADriverIsThere() {
        GpuStatus withDriver = diagnose("cpu", DRIVER_550, true, 0, null);
        assertEquals(GpuStatus.Kind.CPU_BUILD, withDriver.kind());
        assertTrue(withDriver.message().contains("install pixart-studio-cuda"), withDriver.message());
        GpuStatus plain = diagnose("cpu", null, false, 0, null);
        assertEquals(GpuStatus.Kind.CPU_BUILD, plain.kind());
        assertFalse(plain.message().contains("pixart-studio-cuda"), plain.message());
        assertEquals(GpuStatus.Kind.CPU_BUILD, diagnose(null, null, false, 0, null).kind());
    }

    @Test
    void thisBuildBundlesTheFlavourItWasBuiltWith() {
        // the test class path has DJL's CPU descriptor (the CUDA one only under -Pcuda)
        String flavor = GpuStatus.bundledFlavor();
        assertTrue("cpu".equals(flavor) || "cu124".equals(flavor), String.valueOf(flavor));
    }
}

package studio.pixart.engine.nd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TorchOfflineTest {
    /** Child process main: starts the engine and does one matmul. */
    public static void main(String[] args) {
        Torch.prepareThread();
        try (var m = Torch.newManager()) {
            var a = m.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
            float[] r = a.matMul(a).toFloatArray();
            System.out.println("OK " + Torch.version() + " " + r[0] + "," + r[1] + "," + r[2] + "," + r[3]);
        }
    }

    @Test
    void engineStartsOfflineWithEmptyCache() throws Exception {
        Path cache = Files.createTempDirectory("djl-empty-cache");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("-Dai.djl.offline=true");
        cmd.add(TorchOfflineTest.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DJL_CACHE_DIR", cache.toString());
        pb.environment().put("ENGINE_CACHE_DIR", cache.toString());
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().remove("PYTORCH_LIBRARY_PATH");
        pb.environment().remove("PYTORCH_VERSION");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "engine start timed out");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("OK 2.5.1 7.0,10.0,15.0,22.0"), out);
        // the natives were unpacked from the bundled jar into the empty cache, nothing fetched
        try (var files = Files.walk(cache)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("libtorch")), "natives unpacked into cache");
        }
    }

    @Test
    void seededNoiseMatchesTorchCpuGenerator() {
        Torch.prepareThread();
        Torch.seed(0);
        try (var m = Torch.newManager()) {
            float[] v = m.randomNormal(new ai.djl.ndarray.types.Shape(5)).toFloatArray();
            assertArrayEquals(new float[] {1.5410f, -0.2934f, -2.1788f, 0.5684f, -1.0845f}, v, 1e-4f);
        }
    }
}

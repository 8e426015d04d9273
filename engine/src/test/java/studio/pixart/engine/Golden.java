package studio.pixart.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.io.SafetensorsFile;
import studio.pixart.engine.pipeline.ReferenceCase;

/**
 * One golden case from {@code src/test/resources/golden} (a copy of shared/golden): its JSON
 * description and its tensors, plus the README's comparison rules.
 */
public final class Golden implements AutoCloseable {
    public static final Path ROOT = locateRoot();

    public final String name;
    public final JsonNode json;
    public final SafetensorsFile tensors;

    private Golden(String name, JsonNode json, SafetensorsFile tensors) {
        this.name = name;
        this.json = json;
        this.tensors = tensors;
    }

    private static Path locateRoot() {
        String p = System.getProperty("golden.dir");
        Path root = p != null ? Paths.get(p) : Paths.get("src/test/resources/golden");
        if (!Files.isDirectory(root)) {
            root = Paths.get("engine/src/test/resources/golden");
        }
        return root.toAbsolutePath();
    }

    /** {@code group/case}, e.g. {@code t5/t5_prompts_len16}. */
    public static Golden load(String groupAndCase) {
        Path json = ROOT.resolve("cases").resolve(groupAndCase + ".json");
        JsonNode node = Json.read(json);
        SafetensorsFile st = null;
        JsonNode tf = node.get("tensor_file");
        if (tf != null && !tf.isNull()) {
            st = SafetensorsFile.open(json.getParent().resolve(tf.asText()));
        }
        return new Golden(groupAndCase, node, st);
    }

    public static Path model(String relative) {
        return ROOT.resolve(relative);
    }

    public JsonNode params() {
        return json.get("params");
    }

    public float[] floats(String tensor) {
        return tensors.floats(tensor);
    }

    public long[] longs(String tensor) {
        return tensors.longs(tensor);
    }

    public long[] shape(String tensor) {
        return tensors.info(tensor).shape();
    }

    public boolean has(String tensor) {
        return tensors != null && tensors.contains(tensor);
    }

    /** max|a - ref| <= tol * max(1, max|ref|) — the README's rule for module outputs. */
    public static void assertCloseModule(String what, float[] ref, float[] actual, double tol) {
        assertClose(what, ref, actual, tol, true);
    }

    /** max|a - ref| <= tol * max|ref| — the README's rule for trajectories and latents. */
    public static void assertCloseRelative(String what, float[] ref, float[] actual, double tol) {
        assertClose(what, ref, actual, tol, false);
    }

    /** max|a - ref| <= tol, absolute (images in [0, 1]). */
    public static void assertCloseAbsolute(String what, float[] ref, float[] actual, double tol) {
        if (ref.length != actual.length) {
            fail(what + ": length " + actual.length + " != reference " + ref.length);
        }
        double maxDiff = maxDiff(ref, actual);
        assertTrue(maxDiff <= tol, what + ": max|diff| " + maxDiff + " > " + tol);
    }

    private static void assertClose(String what, float[] ref, float[] actual, double tol, boolean floorOne) {
        if (ref.length != actual.length) {
            fail(what + ": length " + actual.length + " != reference " + ref.length);
        }
        double maxRef = 0;
        for (float v : ref) {
            maxRef = Math.max(maxRef, Math.abs(v));
        }
        double scale = floorOne ? Math.max(1, maxRef) : maxRef;
        double maxDiff = maxDiff(ref, actual);
        assertTrue(maxDiff <= tol * scale, what + ": max|diff| " + maxDiff + " > " + tol + " x " + scale);
    }

    /** max|a - ref| / max|ref|: the error {@link #assertCloseRelative} bounds. */
    public static double maxRelative(float[] ref, float[] actual) {
        double maxRef = 0;
        for (float v : ref) {
            maxRef = Math.max(maxRef, Math.abs(v));
        }
        return maxDiff(ref, actual) / maxRef;
    }

    /** max|a - ref| (+∞ for a NaN or a length mismatch). */
    public static double maxDiff(float[] ref, float[] actual) {
        return ReferenceCase.maxDiff(ref, actual);
    }

    public static void assertExact(String what, long[] ref, long[] actual) {
        assertArrayEquals(ref, actual, what);
    }

    @Override
    public void close() {
        if (tensors != null) {
            tensors.close();
        }
    }
}

package studio.pixart.engine.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.io.SafetensorsFile;

/**
 * One reference pipeline case of the golden set ({@code cases/pipeline/NAME.json} with its
 * {@code .safetensors}): the diffusers call it records, as a {@link GenerationRequest} on any
 * device and dtype, and the errors of a result against the reference's tensors by the golden
 * README's rules. The golden tests and {@code pixart bench --goldens} (the GPU check) share it.
 */
public final class ReferenceCase implements AutoCloseable {

    /**
     * Errors of one run against the reference.
     *
     * @param promptEmbeds max|Δ| / max(1, max|ref|) of the prompt's T5 output (module rule)
     * @param latents      max|Δ| / max|ref| of the final latents (trajectory rule)
     * @param image        max|Δ| of the image in [0, 1] (absolute)
     */
    public record Errors(double promptEmbeds, double latents, double image) {
        /** The float32 rules of the golden tests: 1e-4 for each. */
        public boolean withinFloat32Rules() {
            return promptEmbeds <= 1e-4 && latents <= 1e-4 && image <= 1e-4;
        }

        /** The project's rule for images: within one level of 8-bit output. */
        public boolean imageWithinOneLevel() {
            return image <= 1.0 / 255;
        }
    }

    private final String name;
    private final JsonNode json;
    private final Path goldenRoot;
    private final SafetensorsFile tensors;

    private ReferenceCase(String name, JsonNode json, Path goldenRoot, SafetensorsFile tensors) {
        this.name = name;
        this.json = json;
        this.goldenRoot = goldenRoot;
        this.tensors = tensors;
    }

    /** The pipeline cases of a golden folder (its {@code cases/pipeline/*.json}), by name. */
    public static List<Path> list(Path goldenRoot) {
        Path dir = goldenRoot.resolve("cases").resolve("pipeline");
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no reference pipeline cases in " + goldenRoot
                    + ": expected the folder " + dir + " (a copy of the golden set)");
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> cases = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
            if (cases.isEmpty()) {
                throw new IllegalArgumentException("no *.json case in " + dir);
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens {@code GOLDEN/cases/pipeline/NAME.json} and its tensors. */
    public static ReferenceCase open(Path caseJson) {
        JsonNode json = Json.read(caseJson);
        JsonNode params = json.get("params");
        if (params == null || !"pipeline".equals(params.path("kind").asText())) {
            throw new ConfigException(caseJson, "not a pipeline case (params.kind must be \"pipeline\")");
        }
        String tensorFile = json.path("tensor_file").asText("");
        if (tensorFile.isEmpty()) {
            throw new ConfigException(caseJson, "tensor_file is missing");
        }
        Path goldenRoot = caseJson.toAbsolutePath().getParent().getParent().getParent();
        SafetensorsFile st = SafetensorsFile.open(caseJson.resolveSibling(tensorFile));
        return new ReferenceCase(json.path("case").asText(caseJson.getFileName().toString()), json, goldenRoot, st);
    }

    public String name() {
        return name;
    }

    /** The tiny pipeline folder the case ran (its {@code pipeline_path}, under the golden root). */
    public Path pipelineFolder() {
        return goldenRoot.resolve(json.get("params").get("pipeline_path").asText());
    }

    /** The recorded call on a device and dtype (auto | cpu | cuda, auto | float32 | float16). */
    public GenerationRequest request(String device, String dtype) {
        return request(json.get("params"), device, dtype);
    }

    /**
     * The diffusers call of a case's {@code params} as a request: prompt(s), negative prompt(s),
     * seed, steps, guidance, scheduler class → sampler, size, max sequence length, binning, images
     * per prompt. The model is the case's {@code pipeline_path} (relative to the golden root).
     */
    public static GenerationRequest request(JsonNode params, String device, String dtype) {
        JsonNode call = params.get("call");
        String sampler = switch (call.path("scheduler").asText("DPMSolverMultistepScheduler")) {
            case "DDIMScheduler" -> "ddim";
            case "EulerDiscreteScheduler" -> "euler";
            default -> "dpm";
        };
        return new GenerationRequest(params.get("pipeline_path").asText(), texts(call.get("prompt")),
                texts(call.get("negative_prompt")), call.get("seed").asLong(), call.get("num_inference_steps").asInt(),
                call.get("guidance_scale").asDouble(), sampler, call.get("width").asInt(), call.get("height").asInt(),
                call.get("max_sequence_length").asInt(), call.path("use_resolution_binning").asBoolean(false),
                call.path("num_images_per_prompt").asInt(1), device, dtype, GenerationRequest.PreviewMode.NONE,
                GenerationRequest.KvCompressionMode.OFF, GenerationRequest.SeedMode.BATCH, null, List.of(), "auto");
    }

    private static List<String> texts(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(p -> out.add(p.asText()));
        } else {
            out.add(node.asText());
        }
        return out;
    }

    /** Errors of a result of {@link #request} against the reference. */
    public Errors errors(PixArtPipeline.Result result) {
        PixArtPipeline.Trace t = result.trace();
        float[] refLatents = tensors.floats("latents_per_step");
        float[] finalLatents = t.finalLatents();
        float[] refFinal = java.util.Arrays.copyOfRange(refLatents, refLatents.length - finalLatents.length, refLatents.length);
        int pixels = result.images().stream().mapToInt(i -> i.samples().length).sum();
        float[] image = new float[pixels];
        int o = 0;
        for (var img : result.images()) {
            System.arraycopy(img.samples(), 0, image, o, img.samples().length);
            o += img.samples().length;
        }
        return new Errors(
                maxDiff(tensors.floats("prompt_embeds"), t.prompt().embeds()) / Math.max(1, maxAbs(tensors.floats("prompt_embeds"))),
                maxDiff(refFinal, finalLatents) / maxAbs(refFinal),
                maxDiff(tensors.floats("image"), image));
    }

    /** max|a − b| in double; +∞ for a length mismatch or a NaN. */
    public static double maxDiff(float[] ref, float[] actual) {
        if (ref.length != actual.length) {
            return Double.POSITIVE_INFINITY;
        }
        double max = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) ref[i] - actual[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            max = Math.max(max, d);
        }
        return max;
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    @Override
    public void close() {
        tensors.close();
    }
}

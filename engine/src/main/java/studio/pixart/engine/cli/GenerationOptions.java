package studio.pixart.engine.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import studio.pixart.engine.lora.LoraSpec;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.GenerationRequest.KvCompressionMode;
import studio.pixart.engine.pipeline.GenerationRequest.PreviewMode;
import studio.pixart.engine.plan.MemoryMode;
import studio.pixart.engine.plan.Planner;
import studio.pixart.engine.scheduler.Schedulers;

/** The options every generating command takes (generate, poster). */
final class GenerationOptions {
    @Option(names = "--model", paramLabel = "MODEL", description = "pipeline folder or hub model id")
    String model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "prompt; repeat for several")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "one for all prompts, or one per prompt")
    List<String> negatives = new ArrayList<>();

    @Option(names = "--seed", description = "random seed (same seed, same image; default 0)")
    long seed;

    @Option(names = "--steps", description = "denoising steps, 1..1000 (default 20)")
    int steps = 20;

    @Option(names = "--guidance", description = "classifier-free guidance scale, 0..100 (default 4.5; ≤ 1 disables it)")
    double guidance = 4.5;

    @Option(names = "--sampler", paramLabel = "NAME", description = "dpm, dpm-karras, dpm-sde, dpm-sde-karras, dpm3, euler, "
            + "euler-karras, euler-a, unipc, unipc-karras, ddim, lcm or sa (default dpm; see the README's sampler table)")
    String sampler = "dpm";

    @Option(names = "--lora", paramLabel = "FILE[:STRENGTH]", description = "merge a LoRA (.safetensors file or peft "
            + "adapter folder) at STRENGTH (default 1); repeat for several")
    List<String> loras = new ArrayList<>();

    @Option(names = "--width", description = "width in pixels, 1..16384")
    Integer width;

    @Option(names = "--height", description = "height in pixels, 1..16384")
    Integer height;

    @Option(names = "--aspect", paramLabel = "W:H", description = "aspect ratio, e.g. 16:9 (with --size)")
    String aspect;

    @Option(names = "--size", paramLabel = "PX", description = "long side in pixels for --aspect, 16..16384 (default 1024)")
    Integer size;

    @Option(names = "--max-sequence-length", paramLabel = "N", description = "token limit, 1..512 (default 300 Σ / 120 α)")
    Integer maxSequenceLength;

    @Option(names = "--no-binning", description = "generate at exactly the requested size instead of the nearest aspect-ratio bin")
    boolean noBinning;

    @Option(names = "--num-images", description = "images per prompt, 1..64 (default 1)")
    int numImages = 1;

    @Option(names = "--device", description = "auto, cpu or cuda (default auto)")
    String device = "auto";

    @Option(names = "--dtype", description = "auto, float32 or float16 (default auto: float16 on GPU, float32 on CPU)")
    String dtype = "auto";

    @Option(names = "--memory", paramLabel = "MODE", description = "auto, low, balanced or high: how much memory a run may "
            + "use for speed (default auto: from the machine's RAM; see --plan)")
    String memory = "auto";

    @Option(names = "--plan", description = "print the plan (device, dtype and estimated peak memory per component, "
            + "the memory mode and why) and exit without generating")
    boolean plan;

    @Option(names = "--kv-compress", paramLabel = "MODE", description = "KV token compression: off, on or auto "
            + "(auto = on at ≥ 3K; default off for generate, auto for poster)")
    String kvCompress = "off";

    @Option(names = "--text-encoder", paramLabel = "full|int8", description = "T5 weights: full (as in the model) or int8 "
            + "(an 8-bit copy converted once into the cache: half the bytes to read per new prompt; the embeddings differ "
            + "slightly, so the image does too) (default: full)")
    String textEncoder = "full";

    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec mixee;

    boolean kvCompressGiven() {
        return mixee != null && mixee.commandLine() != null
                && mixee.commandLine().getParseResult() != null
                && mixee.commandLine().getParseResult().hasMatchedOption("--kv-compress");
    }

    /** Checks every option (no model needed) and builds the request; a {@link CliChecks.UsageError} names the option at fault. */
    GenerationRequest toRequest() {
        CliChecks.notBlank("--model", model, "MODEL (a pipeline folder or hub model id)");
        if (prompts.isEmpty()) {
            throw new CliChecks.UsageError("missing --prompt TEXT");
        }
        if (!negatives.isEmpty() && negatives.size() != 1 && negatives.size() != prompts.size()) {
            throw new CliChecks.UsageError("give one --negative-prompt for all prompts or one per prompt ("
                    + prompts.size() + " prompts, " + negatives.size() + " negative prompts)");
        }
        CliChecks.range("--steps", steps, 1, 1000);
        CliChecks.range("--guidance", guidance, 0, true, 100);
        String samplerName = CliChecks.oneOf("--sampler", sampler, Schedulers.NAMES);
        String memoryMode = CliChecks.oneOf("--memory", memory, List.of("auto", "low", "balanced", "high"));
        MemoryMode.parse(memoryMode);
        List<LoraSpec> loraSpecs = new ArrayList<>();
        for (String l : loras) {
            LoraSpec spec;
            try {
                spec = LoraSpec.parse(l);
            } catch (IllegalArgumentException e) {
                throw new CliChecks.UsageError("--lora " + l + ": " + e.getMessage());
            }
            if (!java.nio.file.Files.exists(spec.file())) {
                throw new CliChecks.UsageError("--lora " + l + ": " + spec.file() + " does not exist");
            }
            loraSpecs.add(spec);
        }
        CliChecks.range("--num-images", numImages, 1, 64);
        CliChecks.range("--max-sequence-length", maxSequenceLength, 1, CliChecks.MAX_SEQUENCE_LENGTH);
        String dev = CliChecks.oneOf("--device", device, List.of("auto", "cpu", "cuda", "gpu"));
        String dt = CliChecks.oneOf("--dtype", dtype, List.of("auto", "float32", "fp32", "float16", "fp16", "half"));
        Planner.parseDtype(dt);
        String kv = CliChecks.oneOf("--kv-compress", kvCompress, List.of("off", "on", "auto"));
        int w = CliChecks.range("--width", width, 1, CliChecks.MAX_SIDE);
        int h = CliChecks.range("--height", height, 1, CliChecks.MAX_SIDE);
        int longSide = CliChecks.range("--size", size, 16, CliChecks.MAX_SIDE);
        if (aspect != null) {
            if (width != null || height != null) {
                throw new CliChecks.UsageError("give either --width/--height or --aspect/--size, not both");
            }
            double[] ratio = aspectRatio(aspect);
            longSide = longSide > 0 ? longSide : 1024;
            if (ratio[0] >= ratio[1]) {
                w = longSide;
                h = (int) Math.max(1, Math.round(longSide * ratio[1] / ratio[0]));
            } else {
                h = longSide;
                w = (int) Math.max(1, Math.round(longSide * ratio[0] / ratio[1]));
            }
        } else if (size != null) {
            throw new CliChecks.UsageError("--size goes with --aspect (for an exact size use --width and --height)");
        }
        if ((width == null) != (height == null)) {
            throw new CliChecks.UsageError("give both --width and --height");
        }
        return new GenerationRequest(model, prompts, negatives, seed, steps, guidance, samplerName, w, h,
                maxSequenceLength == null ? 0 : maxSequenceLength, !noBinning, numImages, dev, dt, PreviewMode.NONE,
                KvCompressionMode.valueOf(kv.toUpperCase(java.util.Locale.ROOT)), GenerationRequest.SeedMode.BATCH, null,
                loraSpecs, memoryMode, CliChecks.oneOf("--text-encoder", textEncoder, List.of("full", "int8")));
    }

    /** "16:9" → {16, 9}: two finite positive numbers at most 16:1 apart. */
    static double[] aspectRatio(String text) {
        String[] p = text.split(":", -1);
        if (p.length != 2) {
            throw new CliChecks.UsageError("--aspect must look like W:H (e.g. 16:9 or 2.39:1), got '" + text + "'");
        }
        double[] r = new double[2];
        for (int i = 0; i < 2; i++) {
            try {
                r[i] = Double.parseDouble(p[i].trim());
            } catch (NumberFormatException e) {
                throw new CliChecks.UsageError("--aspect must look like W:H (e.g. 16:9 or 2.39:1), got '" + text + "'");
            }
            if (!Double.isFinite(r[i]) || r[i] <= 0) {
                throw new CliChecks.UsageError("--aspect needs two finite positive numbers, got '" + text + "'");
            }
        }
        double q = r[0] / r[1];
        if (q > 16 || q < 1 / 16.0) {
            throw new CliChecks.UsageError("--aspect " + text + " is more extreme than 16:1 (the model's bins span 1:4 to 4:1)");
        }
        return r;
    }
}

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

    @Option(names = "--steps", description = "denoising steps (default 20)")
    int steps = 20;

    @Option(names = "--guidance", description = "classifier-free guidance scale (default 4.5; ≤ 1 disables it)")
    double guidance = 4.5;

    @Option(names = "--sampler", paramLabel = "NAME", description = "dpm, dpm-karras, dpm-sde, dpm-sde-karras, dpm3, euler, "
            + "euler-karras, euler-a, unipc, unipc-karras, ddim, lcm or sa (default dpm; see the README's sampler table)")
    String sampler = "dpm";

    @Option(names = "--lora", paramLabel = "FILE[:STRENGTH]", description = "merge a LoRA (.safetensors file or peft "
            + "adapter folder) at STRENGTH (default 1); repeat for several")
    List<String> loras = new ArrayList<>();

    @Option(names = "--width", description = "width in pixels")
    int width;

    @Option(names = "--height", description = "height in pixels")
    int height;

    @Option(names = "--aspect", paramLabel = "W:H", description = "aspect ratio, e.g. 16:9 (with --size)")
    String aspect;

    @Option(names = "--size", paramLabel = "PX", description = "long side in pixels for --aspect (default: the model's size)")
    int size;

    @Option(names = "--max-sequence-length", paramLabel = "N", description = "token limit (default 300 Σ / 120 α)")
    int maxSequenceLength;

    @Option(names = "--no-binning", description = "generate at exactly the requested size instead of the nearest aspect-ratio bin")
    boolean noBinning;

    @Option(names = "--num-images", description = "images per prompt (default 1)")
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

    GenerationRequest toRequest() {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("missing --model MODEL (a pipeline folder or hub model id)");
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("missing --prompt TEXT");
        }
        MemoryMode.parse(memory); // an unknown mode is an error before anything is opened
        Planner.parseDtype(dtype);
        Schedulers.sampler(sampler); // an unknown name lists the allowed ones before any work
        List<LoraSpec> loraSpecs = new ArrayList<>();
        for (String l : loras) {
            LoraSpec spec = LoraSpec.parse(l);
            if (!java.nio.file.Files.exists(spec.file())) {
                throw new IllegalArgumentException("--lora " + l + ": " + spec.file() + " does not exist");
            }
            loraSpecs.add(spec);
        }
        int w = width;
        int h = height;
        if (aspect != null) {
            if (width > 0 || height > 0) {
                throw new IllegalArgumentException("give either --width/--height or --aspect/--size, not both");
            }
            String[] p = aspect.split(":");
            if (p.length != 2) {
                throw new IllegalArgumentException("--aspect must look like 16:9, got " + aspect);
            }
            double aw = Double.parseDouble(p[0]);
            double ah = Double.parseDouble(p[1]);
            if (!(aw > 0 && ah > 0)) {
                throw new IllegalArgumentException("--aspect must be positive, got " + aspect);
            }
            int longSide = size > 0 ? size : 1024;
            if (aw >= ah) {
                w = longSide;
                h = (int) Math.round(longSide * ah / aw);
            } else {
                h = longSide;
                w = (int) Math.round(longSide * aw / ah);
            }
        } else if (size > 0) {
            throw new IllegalArgumentException("--size goes with --aspect");
        }
        if ((w > 0) != (h > 0)) {
            throw new IllegalArgumentException("give both --width and --height");
        }
        return new GenerationRequest(model, prompts, negatives, seed, steps, guidance, sampler, w, h,
                maxSequenceLength, !noBinning, numImages, device, dtype, PreviewMode.NONE,
                KvCompressionMode.valueOf(kvCompress.toUpperCase()), GenerationRequest.SeedMode.BATCH, null,
                loraSpecs, memory, textEncoder);
    }
}

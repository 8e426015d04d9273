package studio.pixart.engine.pipeline;

import java.util.List;
import studio.pixart.engine.lora.LoraSpec;

/**
 * Everything one generation takes; immutable. Defaults are the reference pipeline's (20 steps,
 * guidance 4.5, DPM-Solver++, resolution binning on, max sequence length from the model variant).
 *
 * @param model              a pipeline folder path or a hub model id
 * @param prompts            one or more prompts (raw text; pre-processing happens in the pipeline)
 * @param negativePrompts    empty, one for all prompts, or one per prompt
 * @param width              requested final width in pixels (0 = model default)
 * @param height             requested final height in pixels (0 = model default)
 * @param maxSequenceLength  0 = the variant's default (300 Σ, 120 α)
 * @param sampler            a short name of {@code Schedulers.NAMES} (dpm, dpm-karras, euler-a, unipc, …)
 * @param device             auto | cpu | cuda
 * @param dtype              auto | float32 | float16
 * @param seedMode           BATCH: one generator seeded with {@code seed} draws the whole batch's
 *                           noise (a diffusers call with one torch.Generator; the default);
 *                           PER_IMAGE: image k of the batch (prompt-major) has its own generator
 *                           seeded with seed + k (a list of generators), so each image is
 *                           reproducible alone
 * @param imageToImage       null for text to image; else the start image, strength and optional
 *                           inpainting mask
 * @param loras              LoRAs merged into the transformer for this request, in order (empty: none)
 * @param memory             auto | low | balanced | high (see {@code MemoryMode})
 * @param textEncoder        full (the model's T5 weights) | int8 (the opt-in 8-bit copy; changes pixels slightly)
 */
public record GenerationRequest(
        String model,
        List<String> prompts,
        List<String> negativePrompts,
        long seed,
        int steps,
        double guidance,
        String sampler,
        int width,
        int height,
        int maxSequenceLength,
        boolean binning,
        int numImages,
        String device,
        String dtype,
        PreviewMode preview,
        KvCompressionMode kvCompression,
        SeedMode seedMode,
        ImageToImage imageToImage,
        List<LoraSpec> loras,
        String memory,
        String textEncoder) {

    public enum PreviewMode { NONE, FAST, VAE, BOTH }

    /** How the seed maps to the images of a batch (see {@link #seedFor}). */
    public enum SeedMode { BATCH, PER_IMAGE }

    public enum KvCompressionMode { OFF, ON, AUTO }

    public GenerationRequest {
        prompts = List.copyOf(prompts);
        negativePrompts = negativePrompts == null ? List.of() : List.copyOf(negativePrompts);
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("at least one prompt is needed");
        }
        if (!negativePrompts.isEmpty() && negativePrompts.size() != 1 && negativePrompts.size() != prompts.size()) {
            throw new IllegalArgumentException("give one negative prompt for all prompts or one per prompt ("
                    + prompts.size() + " prompts, " + negativePrompts.size() + " negative prompts)");
        }
        if (steps < 1 || steps > 1000) {
            throw new IllegalArgumentException("steps must be between 1 and 1000, got " + steps);
        }
        if (numImages < 1 || numImages > 64) {
            throw new IllegalArgumentException("number of images must be between 1 and 64, got " + numImages);
        }
        if (width < 0 || height < 0 || width > 16384 || height > 16384) {
            throw new IllegalArgumentException("size " + width + "x" + height + " is impossible (0..16384 px per side)");
        }
        if (!(guidance >= 0) || guidance > 100) {
            throw new IllegalArgumentException("guidance must be between 0 and 100, got " + guidance);
        }
        if (sampler == null) {
            sampler = "dpm";
        }
        if (device == null) {
            device = "auto";
        }
        if (dtype == null) {
            dtype = "auto";
        }
        if (preview == null) {
            preview = PreviewMode.NONE;
        }
        if (kvCompression == null) {
            kvCompression = KvCompressionMode.OFF;
        }
        if (seedMode == null) {
            seedMode = SeedMode.BATCH;
        }
        loras = loras == null ? List.of() : List.copyOf(loras);
        if (memory == null) {
            memory = "auto";
        }
        textEncoder = textEncoder == null ? "full" : textEncoder.toLowerCase();
        if (!textEncoder.equals("full") && !textEncoder.equals("int8")) {
            throw new IllegalArgumentException("text encoder must be full or int8, got '" + textEncoder + "'");
        }
    }

    /** The reference defaults for one prompt. */
    public static GenerationRequest of(String model, String prompt) {
        return new GenerationRequest(model, List.of(prompt), List.of(), 0, 20, 4.5, "dpm", 0, 0, 0, true, 1,
                "auto", "auto", PreviewMode.NONE, KvCompressionMode.OFF, SeedMode.BATCH, null, List.of(), "auto", "full");
    }

    public String negativeFor(int promptIndex) {
        if (negativePrompts.isEmpty()) {
            return "";
        }
        return negativePrompts.size() == 1 ? negativePrompts.get(0) : negativePrompts.get(promptIndex);
    }

    public GenerationRequest withSeed(long s) {
        return new GenerationRequest(model, prompts, negativePrompts, s, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, seedMode, imageToImage, loras, memory, textEncoder);
    }

    public GenerationRequest withSize(int w, int h) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, w, h,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, seedMode, imageToImage, loras, memory, textEncoder);
    }

    /** full or int8 (see {@link #textEncoder}). */
    public GenerationRequest withTextEncoder(String t) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, seedMode, imageToImage, loras, memory, t);
    }

    public GenerationRequest withBinning(boolean b) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, b, numImages, device, dtype, preview, kvCompression, seedMode, imageToImage, loras, memory, textEncoder);
    }

    public GenerationRequest withPreview(PreviewMode p) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, p, kvCompression, seedMode, imageToImage, loras, memory, textEncoder);
    }

    public GenerationRequest withNumImages(int n) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, n, device, dtype, preview, kvCompression, seedMode, imageToImage, loras, memory, textEncoder);
    }

    public GenerationRequest withSeedMode(SeedMode m) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, m, imageToImage, loras, memory, textEncoder);
    }

    /** Starts from an image (null: text to image again). */
    public GenerationRequest withImageToImage(ImageToImage i) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, seedMode, i, loras, memory, textEncoder);
    }

    /** The number of images: prompts × images per prompt. */
    public int batchSize() {
        return prompts.size() * numImages;
    }

    /**
     * The seed that reproduces image {@code batchIndex} (prompt-major) alone, with one image and
     * {@link SeedMode#PER_IMAGE} (or BATCH: one image has one generator either way): seed + index
     * per image; under {@link SeedMode#BATCH} the batch's one seed (image k &gt; 0 then needs the
     * whole batch to be reproduced).
     */
    public long seedFor(int batchIndex) {
        return seedMode == SeedMode.PER_IMAGE ? seed + batchIndex : seed;
    }

    /**
     * Seed variations: {@code n} more images of this request's prompt(s) and settings from the
     * next seeds (seed + 1 … seed + n for one prompt), one generator per image, so each variation is
     * reproducible alone from the seed recorded in its metadata.
     */
    public GenerationRequest variations(int n) {
        if (n < 1 || n > 64) {
            throw new IllegalArgumentException("number of variations must be between 1 and 64, got " + n);
        }
        return withSeed(seed + 1).withNumImages(n).withSeedMode(SeedMode.PER_IMAGE);
    }

    public GenerationRequest withDevice(String dev, String type) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, dev, type, preview, kvCompression, seedMode, imageToImage, loras, memory, textEncoder);
    }

    public GenerationRequest withKvCompression(KvCompressionMode kv) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kv, seedMode, imageToImage, loras, memory, textEncoder);
    }

    /** The memory mode: auto, low, balanced or high. */
    public GenerationRequest withMemory(String m) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, seedMode, imageToImage, loras, m, textEncoder);
    }

    public GenerationRequest withModel(String m) {
        return new GenerationRequest(m, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, seedMode, imageToImage, loras, memory, textEncoder);
    }

    public GenerationRequest withSampler(String name) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, name, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, seedMode, imageToImage, loras, memory, textEncoder);
    }

    public GenerationRequest withGuidance(double g) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, g, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, seedMode, imageToImage, loras, memory, textEncoder);
    }

    public GenerationRequest withSteps(int n) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, n, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, seedMode, imageToImage, loras, memory, textEncoder);
    }

    public GenerationRequest withLoras(List<LoraSpec> l) {
        return new GenerationRequest(model, prompts, negativePrompts, seed, steps, guidance, sampler, width, height,
                maxSequenceLength, binning, numImages, device, dtype, preview, kvCompression, seedMode, imageToImage, l, memory, textEncoder);
    }
}

package studio.pixart.engine.cli;

import java.util.ArrayList;
import java.util.List;
import studio.pixart.engine.io.ConfigException;
import studio.pixart.engine.io.SafetensorsException;
import studio.pixart.engine.lora.LoraException;
import studio.pixart.engine.lora.LoraMerger;
import studio.pixart.engine.model.ModelCheck;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.ResolutionBinning;
import studio.pixart.engine.transformer.TransformerConfig;

/**
 * What a generating command checks about the model before loading any weight: the folder is
 * complete, every config and the tokenizer are valid and agree with each other
 * ({@link ModelCheck#configProblems}), a size without binning fits the model's multiple, and every
 * {@code --lora} file is a LoRA for this transformer.
 */
final class Preflight {
    private Preflight() {}

    static PipelineFolder check(GenerationRequest req) {
        PipelineFolder folder = PipelineFolder.open(req.model(), null, new ModelLocator());
        List<String> problems = new ArrayList<>(folder.problems());
        problems.addAll(ModelCheck.configProblems(folder));
        if (!problems.isEmpty()) {
            throw new ConfigException("model '" + req.model() + "' (" + folder.root() + ") cannot be used:\n  - "
                    + String.join("\n  - ", problems));
        }
        if (req.binning()) {
            try {
                ResolutionBinning.forSampleSize(folder.transformerSampleSize(), folder.variant() == PipelineFolder.Variant.ALPHA);
            } catch (IllegalArgumentException e) {
                throw new CliChecks.UsageError(e.getMessage());
            }
        }
        if (!req.binning() && req.width() > 0) {
            int patch = TransformerConfig.read(folder.component("transformer").resolve("config.json")).patchSize();
            int multiple = folder.vaeScaleFactor() * patch;
            if (req.width() % multiple != 0 || req.height() % multiple != 0) {
                throw new CliChecks.UsageError("--no-binning needs --width and --height that are multiples of " + multiple
                        + " px (VAE factor " + folder.vaeScaleFactor() + " × patch " + patch + "), got " + req.width() + "x" + req.height());
            }
        }
        try {
            // A LoRA that is unreadable or made for another model is a bad --lora value: refused before loading anything.
            LoraMerger.checkBeforeLoading(req.loras(), folder.component("transformer"));
        } catch (LoraException | SafetensorsException e) {
            throw new CliChecks.UsageError("--lora: " + e.getMessage(), e);
        }
        return folder;
    }
}

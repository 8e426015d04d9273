package studio.pixart.engine.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import studio.pixart.engine.io.SafetensorsWriter;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.PromptEmbeddings;
import studio.pixart.engine.pipeline.PromptEncoder;

@Command(name = "encode", description = "Pre-process, tokenize and T5-encode texts as the pipeline does; write a .safetensors file.")
final class EncodeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "pipeline folder or hub model id")
    String model;

    @Option(names = "--max-length", paramLabel = "N", description = "pad/truncate length, 1..512 (default: 300 for PixArt-Σ, 120 for PixArt-α)")
    Integer maxLength;

    @Option(names = "--device", description = "auto, cpu or cuda (default auto)")
    String device = "auto";

    @Option(names = "--out", required = true, paramLabel = "FILE.safetensors")
    Path out;

    @Parameters(paramLabel = "TEXT", arity = "1..*")
    List<String> texts;

    @Override
    public Integer call() throws Exception {
        int given = CliChecks.range("--max-length", maxLength, 1, CliChecks.MAX_SEQUENCE_LENGTH);
        CliChecks.oneOf("--device", device, List.of("auto", "cpu", "cuda", "gpu"));
        CliChecks.outputFile("--out", out, List.of(".safetensors"));
        Torch.prepareThread();
        PipelineFolder folder = PipelineFolder.open(model, null, new ModelLocator());
        int len = given > 0 ? given : folder.variant().defaultMaxSequenceLength;
        long t0 = System.nanoTime();
        try (PromptEncoder enc = PromptEncoder.load(folder, device, null)) {
            PromptEmbeddings e = enc.encode(texts, len);
            new SafetensorsWriter()
                    .putLongs("input_ids", new long[] {e.rows(), e.length()}, e.inputIds())
                    .putLongs("attention_mask", new long[] {e.rows(), e.length()}, e.attentionMask())
                    .putFloats("prompt_embeds", new long[] {e.rows(), e.length(), e.dim()}, e.embeds())
                    .write(out);
            spec.commandLine().getErr().printf("encoded %d text(s) at length %d in %.2f s → %s%n", e.rows(), len,
                    (System.nanoTime() - t0) / 1e9, out);
        }
        return 0;
    }
}

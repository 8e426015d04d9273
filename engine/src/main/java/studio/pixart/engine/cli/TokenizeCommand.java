package studio.pixart.engine.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.text.PromptText;
import studio.pixart.engine.text.T5Tokenizer;

@Command(name = "tokenize", description = "Token ids and attention mask per text, as the pipeline computes them.")
final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "pipeline folder or hub model id")
    String model;

    @Option(names = "--max-length", paramLabel = "N", description = "pad/truncate length, 1..512 (default: 300 for PixArt-Σ, 120 for PixArt-α)")
    Integer maxLength;

    @Option(names = "--raw", description = "the tokenizer alone, without the pipeline's lower/strip pre-processing")
    boolean raw;

    @Option(names = "--json", description = "print a JSON list")
    boolean json;

    @Parameters(paramLabel = "TEXT", arity = "1..*", description = "texts to tokenize")
    List<String> texts;

    @Override
    public Integer call() {
        int given = CliChecks.range("--max-length", maxLength, 1, CliChecks.MAX_SEQUENCE_LENGTH);
        PipelineFolder folder = PipelineFolder.open(model, null, new ModelLocator());
        T5Tokenizer tok = T5Tokenizer.load(folder.component("tokenizer"));
        int len = given > 0 ? given : folder.variant().defaultMaxSequenceLength;
        PrintWriter out = spec.commandLine().getOut();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String t : texts) {
            T5Tokenizer.Encoding e = tok.encode(raw ? t : PromptText.preprocess(t), len);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("input_ids", e.inputIds());
            row.put("attention_mask", e.attentionMask());
            row.put("tokens", e.tokenCount());
            row.put("truncated", e.truncated());
            rows.add(row);
        }
        if (json) {
            out.println(Json.write(rows));
        } else {
            for (int i = 0; i < rows.size(); i++) {
                Map<String, Object> r = rows.get(i);
                out.printf("text %d: %s tokens (limit %d)%s%n", i, r.get("tokens"), len,
                        (Boolean) r.get("truncated") ? ", truncated" : "");
                out.println("  input_ids:      " + java.util.Arrays.toString((long[]) r.get("input_ids")));
                out.println("  attention_mask: " + java.util.Arrays.toString((long[]) r.get("attention_mask")));
            }
        }
        out.flush();
        return 0;
    }
}

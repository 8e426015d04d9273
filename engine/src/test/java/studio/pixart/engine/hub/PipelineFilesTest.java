package studio.pixart.engine.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.Checkpoint;

class PipelineFilesTest {
    /** A full pipeline repository as the hub lists it, with fp16 variants and files a pipeline does not need. */
    static final List<String> FULL = List.of(".gitattributes", "README.md", "asset/logo.png", "PixArt-Sigma-XL-2-1024-MS.pth",
            "model_index.json", "scheduler/scheduler_config.json",
            "text_encoder/config.json", "text_encoder/model-00001-of-00002.safetensors",
            "text_encoder/model-00002-of-00002.safetensors", "text_encoder/model.safetensors.index.json",
            "text_encoder/model.fp16-00001-of-00002.safetensors", "text_encoder/model.fp16-00002-of-00002.safetensors",
            "text_encoder/model.safetensors.index.fp16.json", "text_encoder/pytorch_model.bin",
            "tokenizer/added_tokens.json", "tokenizer/special_tokens_map.json", "tokenizer/spiece.model",
            "tokenizer/tokenizer_config.json",
            "transformer/config.json", "transformer/diffusion_pytorch_model.safetensors",
            "transformer/diffusion_pytorch_model.fp16.safetensors", "transformer/diffusion_pytorch_model.bin",
            "vae/config.json", "vae/diffusion_pytorch_model.safetensors");

    @Test
    void fullPrecisionTakesOnlyThePipelinesSafetensorsAndSideFiles() {
        PipelineFiles.Selection s = PipelineFiles.select(FULL, null, null);
        assertEquals(List.of("model_index.json", "scheduler/scheduler_config.json",
                "text_encoder/config.json", "text_encoder/model-00001-of-00002.safetensors",
                "text_encoder/model-00002-of-00002.safetensors", "text_encoder/model.safetensors.index.json",
                "tokenizer/added_tokens.json", "tokenizer/special_tokens_map.json", "tokenizer/spiece.model",
                "tokenizer/tokenizer_config.json", "transformer/config.json", "transformer/diffusion_pytorch_model.safetensors",
                "vae/config.json", "vae/diffusion_pytorch_model.safetensors"), s.files());
        assertEquals(List.of(), s.missingComponents());
    }

    @Test
    void aVariantIsTakenWhereTheFolderHasItAndFullPrecisionElsewhere() {
        PipelineFiles.Selection s = PipelineFiles.select(FULL, "fp16", null);
        assertTrue(s.variantFound());
        assertTrue(s.files().containsAll(List.of("text_encoder/model.fp16-00001-of-00002.safetensors",
                "text_encoder/model.fp16-00002-of-00002.safetensors", "text_encoder/model.safetensors.index.fp16.json",
                "transformer/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.safetensors")), s.files().toString());
        assertFalse(s.files().contains("text_encoder/model-00001-of-00002.safetensors"));
        assertFalse(s.files().contains("text_encoder/model.safetensors.index.json"));
        assertFalse(s.files().contains("transformer/diffusion_pytorch_model.safetensors"));
        assertFalse(PipelineFiles.select(FULL, "bf16", null).variantFound());
        assertEquals(PipelineFiles.select(FULL, null, null).files(), PipelineFiles.select(FULL, "bf16", null).files());
    }

    @Test
    void transformerOnlyRepositoriesReportWhatTheBaseMustGive() {
        PipelineFiles.Selection sub = PipelineFiles.select(List.of("README.md", "transformer/config.json",
                "transformer/diffusion_pytorch_model.safetensors"), null, null);
        assertEquals(List.of("transformer/config.json", "transformer/diffusion_pytorch_model.safetensors"), sub.files());
        assertEquals(List.of("text_encoder", "tokenizer", "vae", "scheduler"), sub.missingComponents());
        PipelineFiles.Selection top = PipelineFiles.select(List.of("README.md", "config.json",
                "diffusion_pytorch_model.safetensors", "PixArt-Sigma-XL-2-2K-MS.pth"), null, null);
        assertEquals(List.of("config.json", "diffusion_pytorch_model.safetensors"), top.files());
        assertEquals(List.of("text_encoder", "tokenizer", "vae", "scheduler"), top.missingComponents());
        PipelineFiles.Selection base = PipelineFiles.select(FULL, null, Set.of("vae", "scheduler"));
        assertEquals(List.of("scheduler/scheduler_config.json", "vae/config.json", "vae/diffusion_pytorch_model.safetensors"), base.files());
        assertEquals(List.of(), base.missingComponents());
    }

    @Test
    void theLoaderOpensAVariantOnlyShardedFolder(@TempDir Path dir) throws Exception {
        Path src = Golden.model("tiny-pixart-sigma").resolve("text_encoder/model.safetensors");
        Files.copy(src, dir.resolve("model.fp16-00001-of-00001.safetensors"));
        StringBuilder map = new StringBuilder();
        try (Checkpoint c = Checkpoint.open(src)) {
            for (String n : c.names()) {
                map.append(map.length() == 0 ? "" : ",").append('"').append(n).append("\":\"model.fp16-00001-of-00001.safetensors\"");
            }
            Files.writeString(dir.resolve("model.safetensors.index.fp16.json"), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
            try (Checkpoint sharded = Checkpoint.open(dir)) {
                assertEquals(c.names(), sharded.names());
            }
        }
    }
}

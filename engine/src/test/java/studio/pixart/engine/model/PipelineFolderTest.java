package studio.pixart.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.ConfigException;

class PipelineFolderTest {
    @TempDir
    Path tmp;

    static void copyTree(Path src, Path dst) throws IOException {
        try (var s = Files.walk(src)) {
            for (Path p : s.sorted(Comparator.naturalOrder()).toList()) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                    t.toFile().setWritable(true);
                }
            }
        }
    }

    @Test
    void detectsVariants() {
        PipelineFolder sigma = PipelineFolder.open(Golden.model("tiny-pixart-sigma").toString());
        assertEquals(PipelineFolder.Variant.SIGMA, sigma.variant());
        assertEquals(300, sigma.variant().defaultMaxSequenceLength);
        assertEquals(16, sigma.defaultImageSize());
        assertTrue(sigma.problems().isEmpty(), sigma.problems().toString());
        PipelineFolder alpha = PipelineFolder.open(Golden.model("tiny-pixart-alpha").toString());
        assertEquals(PipelineFolder.Variant.ALPHA, alpha.variant());
        assertEquals(120, alpha.variant().defaultMaxSequenceLength);
        assertEquals(1024, alpha.defaultImageSize());
        PipelineFolder s256 = PipelineFolder.open(Golden.model("tiny-pixart-sigma-256").toString());
        assertEquals(256, s256.defaultImageSize());
    }

    @Test
    void resolvesHubCacheIdsThroughRefs() throws IOException {
        Path hub = tmp.resolve("hf").resolve("hub");
        Path repo = hub.resolve("models--PixArt-alpha--PixArt-Sigma-Tiny");
        Path snap = repo.resolve("snapshots").resolve("abc123");
        copyTree(Golden.model("tiny-pixart-sigma"), snap);
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve("main"), "abc123\n");
        ModelLocator loc = new ModelLocator(Map.of("HF_HOME", tmp.resolve("hf").toString(), "HOME", tmp.toString()));
        assertEquals(snap, loc.locate("PixArt-alpha/PixArt-Sigma-Tiny"));
        assertEquals(java.util.List.of("PixArt-alpha/PixArt-Sigma-Tiny"), loc.cachedModelIds());
        ModelLocator viaCacheVar = new ModelLocator(Map.of("HF_HUB_CACHE", hub.toString()));
        assertEquals(snap, viaCacheVar.locate("PixArt-alpha/PixArt-Sigma-Tiny"));
        ConfigException e = assertThrows(ConfigException.class, () -> loc.locate("PixArt-alpha/Missing"));
        assertTrue(e.getMessage().contains("neither a folder nor in the Hugging Face cache"), e.getMessage());
    }

    @Test
    void transformerOnlyRepoTakesTheRestFromABase() throws IOException {
        Path only = tmp.resolve("transformer-only");
        copyTree(Golden.model("tiny-pixart-sigma/transformer"), only.resolve("transformer"));
        PipelineFolder alone = PipelineFolder.open(only.toString(), null, new ModelLocator(Map.of("HF_HUB_CACHE", tmp.toString())));
        assertEquals(4, alone.problems().size(), alone.problems().toString());
        assertTrue(alone.problems().get(0).contains("missing component"), alone.problems().toString());
        ConfigException e = assertThrows(ConfigException.class, alone::requireComplete);
        assertTrue(e.getMessage().contains("text_encoder"), e.getMessage());
        PipelineFolder combined = PipelineFolder.open(only.toString(), Golden.model("tiny-pixart-sigma").toString(), new ModelLocator());
        assertTrue(combined.problems().isEmpty(), combined.problems().toString());
        assertEquals(only.resolve("transformer").toAbsolutePath(), combined.component("transformer").toAbsolutePath());
        assertEquals(Golden.model("tiny-pixart-sigma").resolve("vae").toAbsolutePath().normalize(),
                combined.component("vae").toAbsolutePath().normalize());
        // A bare transformer folder (config.json at its root) works too.
        PipelineFolder bare = PipelineFolder.open(only.resolve("transformer").toString(),
                Golden.model("tiny-pixart-sigma").toString(), new ModelLocator());
        assertTrue(bare.problems().isEmpty(), bare.problems().toString());
    }

    @Test
    void reportsMissingFilesSpecifically() throws IOException {
        Path broken = tmp.resolve("broken");
        copyTree(Golden.model("tiny-pixart-sigma"), broken);
        Files.delete(broken.resolve("tokenizer").resolve("spiece.model"));
        Files.delete(broken.resolve("vae").resolve("diffusion_pytorch_model.safetensors"));
        Files.writeString(broken.resolve("scheduler").resolve("scheduler_config.json"), "{not json");
        PipelineFolder f = PipelineFolder.open(broken.toString());
        assertEquals(2, f.problems().size(), f.problems().toString());
        assertTrue(f.problems().stream().anyMatch(p -> p.contains("spiece.model")));
        assertTrue(f.problems().stream().anyMatch(p -> p.contains("vae/ has no .safetensors")));
        ConfigException bad = assertThrows(ConfigException.class, () -> f.config("scheduler"));
        assertTrue(bad.getMessage().contains("scheduler_config.json") && bad.getMessage().contains("not valid JSON"), bad.getMessage());
        assertThrows(ConfigException.class, () -> PipelineFolder.open(tmp.resolve("nowhere").toString()));
        assertFalse(ModelLocator.looksLikeModelId("/abs/path"));
    }

    @Test
    void inspectionCountsParametersAndDtypes() {
        ModelInspection i = ModelInspection.of(PipelineFolder.open(Golden.model("tiny-pixart-sigma").toString()));
        assertEquals(5, i.components().size());
        ModelInspection.Component tr = i.components().get(0);
        assertEquals("transformer", tr.name());
        assertEquals("PixArtTransformer2DModel", tr.className());
        assertEquals(16208, tr.parameters());
        assertTrue(tr.parametersByDtype().containsKey("F32"));
        assertTrue(i.toText().contains("problems  none"), i.toText());
    }
}

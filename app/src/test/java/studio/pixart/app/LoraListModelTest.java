package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.app.io.ImageFiles;
import studio.pixart.app.settings.GenerationSettings;
import studio.pixart.app.settings.LoraSetting;
import studio.pixart.app.settings.Sampler;
import studio.pixart.app.vm.LoraListModel;
import studio.pixart.engine.lora.LoraSpec;
import studio.pixart.engine.pipeline.GenerationMetadata;
import studio.pixart.engine.pipeline.GenerationRequest;

/** The LoRA list and sampler names through settings, history JSON, PNG metadata and A1111 text. */
class LoraListModelTest {
    @TempDir
    Path tmp;

    private Path lora(String name) throws IOException {
        return Files.write(tmp.resolve(name), new byte[] {1});
    }

    @Test
    void listBecomesTheRequestAndRestores() throws IOException {
        LoraListModel m = new LoraListModel();
        Path a = lora("style.safetensors");
        Path b = lora("detail.safetensors");
        assertTrue(m.add(a));
        assertTrue(m.add(b));
        assertTrue(m.add(a), "adding the same file again keeps one row");
        assertFalse(m.add(tmp.resolve("x.ckpt")));
        assertTrue(m.message.get().contains("x.ckpt"), m.message.get());
        m.items.get(0).strength.set(0.7);
        m.items.get(1).enabled.set(false);
        GenerationSettings s = GenerationSettings.defaults().withLoras(m.settings());
        GenerationRequest req = s.toRequest(1, true);
        assertEquals(List.of(new LoraSpec(a.toAbsolutePath().normalize(), 0.7)), req.loras(), "only enabled rows are sent");

        GenerationSettings back = GenerationSettings.fromJson(s.toJson());
        assertEquals(s, back, "history / settings.json keep the whole list, disabled rows included");
        LoraListModel restored = new LoraListModel();
        restored.apply(back.loras());
        assertEquals(m.settings(), restored.settings());
    }

    @Test
    void pngAndParametersTextRestoreTheLoras() throws IOException {
        Path a = lora("style.safetensors");
        GenerationSettings s = GenerationSettings.defaults().withLoras(List.of(LoraSetting.of(a, 0.7)));
        Map<String, Object> engine = new java.util.LinkedHashMap<>();
        engine.put("loras", List.of(Map.of("name", "style.safetensors", "file", a.toString(), "strength", 0.7,
                "sha256", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")));
        Path png = tmp.resolve("out.png");
        ImageFiles.write(png, MetadataTest.image(8, 4), s.toMetadata(engine));
        GenerationSettings fromPng = ImageFiles.readSettings(png);
        assertEquals(1, fromPng.loras().size());
        assertEquals(a.toString(), fromPng.loras().get(0).file());
        assertEquals(0.7, fromPng.loras().get(0).strength());
        assertEquals("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", fromPng.loras().get(0).sha256());

        // A1111-style text: names only; the list finds the file among the LoRAs it has seen
        String text = GenerationMetadata.parametersText(s.toMetadata(engine));
        assertTrue(text.contains("Lora hashes: \"style.safetensors: 0123456789ab\""), text);
        GenerationSettings fromText = GenerationSettings.fromParameters(text);
        assertEquals("style.safetensors", fromText.loras().get(0).name());
        assertEquals(0.7, fromText.loras().get(0).strength());
        assertEquals("", fromText.loras().get(0).file());
        LoraListModel m = new LoraListModel();
        m.apply(fromText.loras());
        assertFalse(m.items.get(0).problem().get().isEmpty(), "unknown file: marked");
        assertTrue(GenerationSettings.defaults().withLoras(m.settings()).toRequest(1, true).loras().isEmpty(),
                "a LoRA without its file is not sent");
        m.learn(List.of(LoraSetting.of(a, 1.0)));
        m.apply(fromText.loras());
        assertEquals(a.toString(), m.settings().get(0).file());
        assertEquals("", m.items.get(0).problem().get());
    }

    @Test
    void samplerNamesFromOtherApps() {
        assertEquals(Sampler.DPM_KARRAS, Sampler.parse("DPM++ 2M Karras"));
        assertEquals(Sampler.DPM_KARRAS, Sampler.parse("DPM++ 2M", "Karras"));
        assertEquals(Sampler.DPM_SDE_KARRAS, Sampler.parse("DPM++ 2M SDE Karras"));
        assertEquals(Sampler.DPM_SDE, Sampler.parse("dpmpp_2m_sde"));
        assertEquals(Sampler.DPM_SDE_KARRAS, Sampler.parse("dpmpp_2m_sde", "karras"));
        assertEquals(Sampler.DPM_3M, Sampler.parse("DPM++ 3M"));
        assertEquals(Sampler.EULER_A, Sampler.parse("Euler a"));
        assertEquals(Sampler.EULER_A, Sampler.parse("euler_ancestral"));
        assertEquals(Sampler.EULER, Sampler.parse("Euler"));
        assertEquals(Sampler.EULER_KARRAS, Sampler.parse("Euler", "Karras"));
        assertEquals(Sampler.UNIPC, Sampler.parse("uni_pc"));
        assertEquals(Sampler.UNIPC_KARRAS, Sampler.parse("UniPC Karras"));
        assertEquals(Sampler.DDIM, Sampler.parse("DDIM"));
        assertEquals(null, Sampler.parse("Heun"));
        for (Sampler s : Sampler.values()) {
            assertEquals(s, Sampler.parse(s.display));
            assertEquals(s, Sampler.parse(GenerationMetadata.samplerLabel(s.id)), "our own parameters text reads back");
        }
        GenerationSettings s = GenerationSettings.fromParameters("a castle\nSteps: 30, Sampler: DPM++ 2M SDE, "
                + "Schedule type: Karras, CFG scale: 7, Seed: 42, Size: 512x768");
        assertEquals("dpm-sde-karras", s.sampler());
    }
}

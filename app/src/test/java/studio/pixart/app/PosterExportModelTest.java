package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import studio.pixart.app.vm.PosterExportModel;
import studio.pixart.engine.job.PosterSpec;
import studio.pixart.engine.poster.ExportPresets;

/** The poster dialog's state without a window: presets, DPI, crop, destination and the job spec. */
class PosterExportModelTest {
    final PosterExportModel m = new PosterExportModel(ExportPresets.load(), Path.of("/tmp/out"));

    @Test
    void presetsAreGroupedByCategoryAndSetTheSize() {
        assertEquals(List.of("wallpaper", "phone", "poster", "social"), List.copyOf(m.presetsByCategory().keySet()));
        assertEquals(3840, m.width.get());
        m.presetId.set("poster-a4");
        assertEquals(2480, m.width.get());
        assertEquals(3508, m.height.get());
        assertEquals(300, m.effectiveDpi());
        m.dpi.set(150);
        assertEquals(1240, m.width.get());
        m.presetId.set("poster-a2"); // 420 mm at 150 dpi fits; at 300 dpi it is capped to 4096 px
        m.dpi.set(300);
        assertEquals(4096, m.height.get());
        assertTrue(m.effectiveDpi() < 300);
        assertTrue(m.note.get().contains("exceeds 4096"), m.note.get());
    }

    @Test
    void customSizeAndCropOfAWiderTarget() {
        m.setCustomSize(2000, 1000);
        assertEquals(PosterExportModel.CUSTOM, m.presetId.get());
        assertEquals("", m.note.get());
        // a square 1024 image: a 2:1 target keeps the full width and the middle half
        PosterExportModel.Crop c = m.crop(1024, 1024);
        assertEquals(new PosterExportModel.Crop(0, 256, 1024, 512), c);
        // a taller target keeps the full height and a centered column
        m.setCustomSize(500, 1000);
        assertEquals(new PosterExportModel.Crop(256, 0, 512, 1024), m.crop(1024, 1024));
    }

    @Test
    void formatSetsTheExtensionAndSpecCarriesEverything() {
        m.destination.set("/tmp/out/wall.png");
        m.format.set(PosterExportModel.Format.TIFF);
        assertEquals("/tmp/out/wall.tif", m.destination.get());
        m.presetId.set("wallpaper-qhd");
        m.strength.set(0.5);
        PosterSpec s = m.spec();
        assertEquals(2560, s.width());
        assertEquals(1440, s.height());
        assertEquals(0.5, s.strength());
        assertEquals(Path.of("/tmp/out/wall.tif"), s.out());
        assertEquals(300, s.export().dpi());
    }

    @Test
    void problemsBlockTheRun() {
        assertNull(m.problem());
        m.destination.set(" ");
        assertNotNull(m.problem());
        assertThrows(IllegalArgumentException.class, m::spec);
        m.destination.set("/tmp/x.png");
        m.strength.set(0);
        assertTrue(m.problem().contains("strength"));
        m.strength.set(0.3);
        m.setCustomSize(32, 32);
        assertTrue(m.problem().contains("64 to 16384"));
    }
}

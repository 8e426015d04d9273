package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.app.history.HistoryEntry;
import studio.pixart.app.history.HistoryStore;
import studio.pixart.app.settings.GenerationSettings;

class HistoryStoreTest {
    @TempDir
    Path dir;

    private static HistoryEntry entry(String prompt, long seed, HistoryEntry.Status st) {
        GenerationSettings s = GenerationSettings.defaults();
        s = new GenerationSettings(prompt, "neg", s.steps(), s.guidance(), s.sampler(), seed, false, "1:1", 1024, 1024, 1024,
                1, "auto", "auto", "FAST", "/m", java.util.List.of(new studio.pixart.app.settings.LoraSetting("/l/style.safetensors", "style.safetensors", 0.7, true, "ab12")));
        return new HistoryEntry(0, Instant.now(), st, 0, s, "PixArt-Σ 1024px", 1024, 1024, Map.of("total", 1234L),
                new byte[] {1, 2, 3}, "", "", false);
    }

    @Test
    void storesSearchesDeletesAndPersists() throws Exception {
        long keep;
        try (HistoryStore h = HistoryStore.open(dir)) {
            keep = h.add(entry("A red fox in snow", 1, HistoryEntry.Status.FINISHED), f -> Files.write(f, new byte[] {9, 9})).id();
            h.add(entry("100% blue_sky", 2, HistoryEntry.Status.CANCELLED), null);
            HistoryEntry gone = h.add(entry("a RED barn", 3, HistoryEntry.Status.FINISHED), f -> Files.write(f, new byte[] {7}));
            assertEquals(3, h.search("", 10).size());
            assertEquals(List.of(3L, 1L), h.search("red", 10).stream().map(e -> e.settings().seed()).toList());
            assertEquals(1, h.search("100%", 10).size(), "LIKE wildcards in the query are literal");
            assertEquals(0, h.search("100_b", 10).size());
            h.delete(gone.id());
            assertFalse(Files.exists(h.imagePath(gone)));
        }
        try (HistoryStore h = HistoryStore.open(dir)) {
            List<HistoryEntry> all = h.search("", 10);
            assertEquals(2, all.size());
            HistoryEntry fox = all.stream().filter(e -> e.id() == keep).findFirst().orElseThrow();
            assertEquals("A red fox in snow", fox.settings().prompt());
            assertEquals(HistoryEntry.Status.FINISHED, fox.status());
            assertEquals(1234L, fox.timingsMs().get("total"));
            assertArrayEquals(new byte[] {1, 2, 3}, fox.thumbnail());
            assertArrayEquals(new byte[] {9, 9}, Files.readAllBytes(h.imagePath(fox)));
            assertTrue(all.stream().anyMatch(e -> e.status() == HistoryEntry.Status.CANCELLED));
            assertFalse(fox.favourite());
            h.setFavourite(keep, true);
            assertEquals(List.of(keep), h.search("", true, 10).stream().map(HistoryEntry::id).toList());
            assertEquals(List.of(keep), h.search("fox", true, 10).stream().map(HistoryEntry::id).toList());
            assertTrue(h.search("blue", true, 10).isEmpty());
        }
        try (HistoryStore h = HistoryStore.open(dir)) {
            assertTrue(h.search("", true, 10).get(0).favourite(), "favourites persist");
        }
    }
}

package studio.pixart.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.app.download.DownloadService;
import studio.pixart.app.download.PendingDownloads;
import studio.pixart.app.vm.DownloadViewModel;
import studio.pixart.app.vm.DownloadViewModel.State;
import studio.pixart.engine.hub.HubSettings;
import studio.pixart.engine.hub.HubTestServer;
import studio.pixart.engine.hub.ModelCatalogue;
import studio.pixart.engine.model.ModelLocator;

/** The Download model dialog's view-model against the loopback hub, without a window. */
class DownloadViewModelTest {
    static final String SIGMA_1024 = "PixArt-alpha/PixArt-Sigma-XL-2-1024-MS";

    @TempDir
    Path tmp;
    HubTestServer hub;
    final List<String> opened = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        hub = new HubTestServer();
        // the catalogue's PixArt-Σ 1024, played by the tiny golden pipeline
        hub.addRepo(SIGMA_1024, TestSupport.tinyPipeline());
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    DownloadViewModel newViewModel() {
        HubSettings s = new HubSettings(hub.endpoint(), tmp.resolve("hub"), null, false, 3, 4, 3, Duration.ofMillis(10),
                Duration.ofSeconds(10));
        return new DownloadViewModel(ModelCatalogue.load(), new DownloadService(s, Runnable::run),
                new PendingDownloads(tmp.resolve("data/downloads.json")), opened::add);
    }

    static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void theCatalogueIsListedWithSizesMemoryLicenceAndStatus() {
        DownloadViewModel vm = newViewModel();
        assertEquals(7, vm.rows.size());
        assertEquals("sigma-1024", vm.selected.get().entry().id());
        DownloadViewModel.Row twoK = vm.rows.stream().filter(r -> r.entry().id().equals("sigma-2k")).findFirst().orElseThrow();
        assertTrue(twoK.size().endsWith("with base"), twoK.size());
        assertEquals("21.8 GB", vm.selected.get().size());
        assertEquals("24 GB / 12 GB", vm.selected.get().memory());
        assertTrue(vm.rows.stream().allMatch(r -> r.status().isEmpty()));
        assertTrue(vm.canDownload.get());
        assertFalse(vm.canPause.get() || vm.canResume.get() || vm.canCancel.get());
    }

    @Test
    void downloadingTheDefaultModelOpensItWhenDone() throws Exception {
        DownloadViewModel vm = newViewModel();
        vm.downloadDefault();
        waitFor("done", () -> vm.state.get() == State.DONE);
        assertEquals(List.of(SIGMA_1024), opened);
        assertEquals(1.0, vm.progress.get());
        assertTrue(vm.message.get().contains("PixArt-Σ 1024 is ready"), vm.message.get());
        assertEquals("downloaded", vm.selected.get().status());
        assertEquals(List.of(), new PendingDownloads(tmp.resolve("data/downloads.json")).load());
        Path snapshot = new ModelLocator(Map.of("HF_HUB_CACHE", tmp.resolve("hub").toString())).locate(SIGMA_1024);
        assertTrue(snapshot.resolve("transformer/diffusion_pytorch_model.safetensors").toFile().isFile());
    }

    @Test
    void pauseKeepsThePartialAndAnUnfinishedDownloadResumesAfterARestart() throws Exception {
        hub.throttle(60_000);
        DownloadViewModel vm = newViewModel();
        vm.download();
        waitFor("some bytes", () -> vm.progress.get() > 0.05);
        assertTrue(vm.canPause.get());
        vm.pause();
        waitFor("paused", () -> vm.state.get() == State.PAUSED);
        assertTrue(vm.canResume.get() && vm.canCancel.get() && !vm.canDownload.get());
        assertEquals("partly downloaded", vm.selected.get().status());
        assertEquals(List.of(SIGMA_1024), new PendingDownloads(tmp.resolve("data/downloads.json")).load().stream()
                .map(PendingDownloads.Pending::repo).toList());

        // the studio is closed and started again
        vm.close();
        hub.throttle(0);
        DownloadViewModel restarted = newViewModel();
        assertTrue(restarted.resumePending());
        assertEquals("sigma-1024", restarted.active.get().id());
        waitFor("done after restart", () -> restarted.state.get() == State.DONE);
        assertEquals(List.of(SIGMA_1024), opened);
        assertTrue(hub.seen.stream().anyMatch(s -> s.range() != null), "resumed with a Range request");
        assertFalse(restarted.resumePending(), "nothing left to resume");
    }

    @Test
    void cancelForgetsTheDownloadButKeepsItsPartialFiles() throws Exception {
        hub.throttle(60_000);
        DownloadViewModel vm = newViewModel();
        vm.download();
        waitFor("some bytes", () -> vm.progress.get() > 0.05);
        vm.cancel();
        assertEquals(State.CANCELLED, vm.state.get());
        waitFor("stopped", () -> !vm.canCancel.get());
        Thread.sleep(200);
        assertEquals(State.CANCELLED, vm.state.get());
        assertEquals(List.of(), new PendingDownloads(tmp.resolve("data/downloads.json")).load());
        vm.refreshRows();
        assertEquals("partly downloaded", vm.selected.get().status());
        assertTrue(vm.message.get().contains("partial files stay"), vm.message.get());
        assertTrue(opened.isEmpty());
    }

    @Test
    void aFailureIsShownAndNotRetriedAfterARestartWhenItCannotSucceed() throws Exception {
        hub.status("/api/models/", 403, 1);
        DownloadViewModel vm = newViewModel();
        vm.download();
        waitFor("failed", () -> vm.state.get() == State.FAILED);
        assertTrue(vm.message.get().startsWith("this model needs a Hugging Face token"), vm.message.get());
        assertEquals(List.of(), new PendingDownloads(tmp.resolve("data/downloads.json")).load());
        assertTrue(vm.canResume.get(), "Resume tries again (e.g. after accepting the licence)");
        vm.resume();
        waitFor("done on retry", () -> vm.state.get() == State.DONE);
    }
}

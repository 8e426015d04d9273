package studio.pixart.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import studio.pixart.engine.plan.MachineInfo;

/**
 * {@code --plan} and the refusals of impossible jobs through the real commands (issue 14 item 4).
 * The machine is pinned to 24 GB of RAM ({@link MachineInfo#RAM_PROPERTY}) so every machine gives
 * the same answer; a refused job must not allocate its memory (the process's peak RSS stays put).
 */
class PlanCommandTest {
    static final String TINY = CliTest.TINY;

    @BeforeAll
    static void pinTheMachine() {
        System.setProperty(MachineInfo.RAM_PROPERTY, "24g");
    }

    @AfterAll
    static void unpin() {
        System.clearProperty(MachineInfo.RAM_PROPERTY);
    }

    @Test
    void generatePlanPrintsEachComponentAndExits(@TempDir Path dir) {
        Path out = dir.resolve("fox.png");
        CliTest.Run r = CliTest.run("generate", "--model", TINY, "--prompt", "a fox", "--width", "16", "--height", "16",
                "--no-binning", "--steps", "2", "--out", out.toString(), "--plan");
        assertEquals(0, r.code(), r.err());
        for (String s : new String[] {"text_encoder", "transformer", "vae", "cpu", "float32", "memory mode: balanced",
                "automatic: 24 GB RAM", "estimated peak:", "fits: yes", "GPU: ", "expected time on this CPU: ≈ ",
                "per image (16×16, 2 steps, CFG"}) {
            assertTrue(r.out().contains(s), s + " missing from:\n" + r.out());
        }
        assertFalse(Files.exists(out), "--plan generates nothing");
        CliTest.Run low = CliTest.run("generate", "--model", TINY, "--prompt", "a fox", "--width", "16", "--height", "16",
                "--no-binning", "--out", out.toString(), "--plan", "--memory", "low");
        assertTrue(low.out().contains("memory mode: low (--memory low)") && low.out().contains("block by block"), low.out());
        CliTest.Run bad = CliTest.run("generate", "--model", TINY, "--prompt", "a fox", "--out", out.toString(), "--plan",
                "--memory", "lots");
        assertEquals(2, bad.code(), "an option error is a usage error");
        assertTrue(bad.err().contains("--memory must be one of auto, low, balanced, high; got 'lots'"), bad.err());
    }

    @Test
    void generate16384IsRefusedBeforeAnyWork(@TempDir Path dir) {
        Path out = dir.resolve("huge.png");
        long before = BenchCommand.rssBytes("VmHWM");
        CliTest.Run r = CliTest.run("generate", "--model", TINY, "--prompt", "a fox", "--width", "16384", "--height", "16384",
                "--no-binning", "--steps", "2", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().matches("(?s).*error: needs ~\\d+ GB of memory \\(while denoising\\), this machine has 24 GB\n.*"), r.err());
        assertTrue(r.err().contains("advice: use a smaller size (about "), r.err());
        assertFalse(r.err().contains("step 1/"), "refused before the loop: " + r.err());
        assertFalse(Files.exists(out));
        assertTrue(BenchCommand.rssBytes("VmHWM") - before < 1L << 30, "a refused job allocates nothing large");
    }

    @Test
    void poster16384IsRefusedWithNumbers(@TempDir Path dir) {
        Path out = dir.resolve("poster.png");
        long before = BenchCommand.rssBytes("VmHWM");
        CliTest.Run r = CliTest.run("poster", "--model", TINY, "--prompt", "a lighthouse", "--width", "16384", "--height",
                "16384", "--steps", "4", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("error: needs ~") && r.err().contains("this machine has 24 GB") && r.err().contains("use "),
                r.err());
        assertFalse(r.err().contains("OutOfMemoryError"), r.err());
        assertFalse(Files.exists(out));
        assertTrue(BenchCommand.rssBytes("VmHWM") - before < 1L << 30);
        CliTest.Run plan = CliTest.run("poster", "--model", TINY, "--prompt", "a lighthouse", "--preset", "wallpaper-4k", "--out",
                out.toString(), "--plan");
        assertTrue(plan.out().contains("poster path") && plan.out().contains("3840×2160"), plan.out() + plan.err());
    }

    @Test
    void benchOfAnImpossibleSizeIsRefusedAndItsPlanPrinted() {
        // 100000 px is outside --size's range (an option error, BadInputTest); the largest allowed size must be
        // refused by the memory estimate instead.
        CliTest.Run r = CliTest.run("bench", "--size", "16384");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("error: needs ~") && r.err().contains("this machine has 24 GB"), r.err());
        assertFalse(r.out().contains("matmul"), "refused before the matmul probe and the weights: " + r.out());
        CliTest.Run plan = CliTest.run("bench", "--size", "512", "--plan");
        assertEquals(0, plan.code(), plan.err());
        assertTrue(plan.out().contains("transformer") && plan.out().contains("fits: yes"), plan.out());
    }
}

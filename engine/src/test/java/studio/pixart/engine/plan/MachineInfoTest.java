package studio.pixart.engine.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MachineInfoTest {
    @Test
    void meminfoTotalAndAvailable() {
        String text = "MemTotal:       24604772 kB\nMemFree:         1234567 kB\nMemAvailable:   17123456 kB\n"
                + "Buffers:          102400 kB\nCached:          8000000 kB\n";
        assertArrayEquals(new long[] {24604772L * 1024, 17123456L * 1024}, MachineInfo.parseMeminfo(text));
    }

    @Test
    void oldKernelsWithoutMemAvailableUseFreePlusCached() {
        String text = "MemTotal: 8000000 kB\nMemFree: 1000000 kB\nCached: 2000000 kB\n";
        assertArrayEquals(new long[] {8000000L * 1024, 3000000L * 1024}, MachineInfo.parseMeminfo(text));
    }

    @Test
    void sizesForWhatIfPlans() {
        assertEquals(24L << 30, MachineInfo.parseBytes("24g"));
        assertEquals(512L << 20, MachineInfo.parseBytes("512M"));
        assertEquals(1000, MachineInfo.parseBytes("1000"));
        assertEquals(0, MachineInfo.parseBytes(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MachineInfo.parseBytes("lots"));
        assertTrue(e.getMessage().contains(MachineInfo.RAM_PROPERTY) && e.getMessage().contains("lots"), e.getMessage());
    }

    @Test
    void thisMachineHasRamAndCores() {
        MachineInfo m = MachineInfo.detect();
        assertTrue(m.ramTotalBytes() > 0 && m.ramAvailableBytes() > 0 && m.ramAvailableBytes() <= m.ramTotalBytes(), m.toString());
        assertTrue(m.cores() >= 1 && m.heapMaxBytes() > 0, m.toString());
        assertTrue(m.gpu().message() != null && !m.gpu().message().isBlank());
    }
}

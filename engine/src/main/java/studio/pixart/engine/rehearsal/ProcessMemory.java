package studio.pixart.engine.rehearsal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory from {@code /proc/self/status}, split as the kernel counts it:
 * anonymous (heap, libtorch tensors, direct buffers: what must fit in RAM) and file-backed (mapped
 * weight files: page cache the kernel can drop and re-read), plus page faults from
 * {@code /proc/self/stat}. A {@link Sampler} polls it on a daemon thread to catch peaks between
 * two reads. All zeros where /proc is not available.
 */
public record ProcessMemory(long rssAnon, long rssFile, long vmHwm, long minorFaults, long majorFaults) {

    public static ProcessMemory now() {
        long anon = 0;
        long file = 0;
        long hwm = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("RssAnon:")) {
                    anon = kb(line);
                } else if (line.startsWith("RssFile:")) {
                    file = kb(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kb(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            return new ProcessMemory(0, 0, 0, 0, 0);
        }
        long minflt = 0;
        long majflt = 0;
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // fields after the command name in parentheses: state ppid ... minflt(10) cminflt majflt(12)
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            minflt = Long.parseLong(f[7]);
            majflt = Long.parseLong(f[9]);
        } catch (IOException | RuntimeException e) {
            // faults stay 0
        }
        return new ProcessMemory(anon, file, hwm, minflt, majflt);
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }

    /** Resets VmHWM to the current RSS (Linux clear_refs 5), so the next read is a peak since now. */
    public static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // not Linux or not allowed: VmHWM stays the process peak
        }
    }

    /** 1-minute load average of the machine, or NaN. */
    public static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Peaks of anonymous and file-backed memory between {@link #reset} and now, polled every few ms. */
    public static final class Sampler implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;
        private long peakAnon;
        private long peakFile;
        private long peakSum;

        public Sampler(long periodMillis) {
            thread = new Thread(() -> {
                while (running) {
                    sample();
                    try {
                        Thread.sleep(periodMillis);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "pixart-memory-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        private synchronized void sample() {
            ProcessMemory m = now();
            peakAnon = Math.max(peakAnon, m.rssAnon());
            peakFile = Math.max(peakFile, m.rssFile());
            peakSum = Math.max(peakSum, m.rssAnon() + m.rssFile());
        }

        public synchronized void reset() {
            peakAnon = 0;
            peakFile = 0;
            peakSum = 0;
            sample();
        }

        /** {anon, file, anon + file} peaks in bytes since the last reset (including a read now). */
        public synchronized long[] peaks() {
            sample();
            return new long[] {peakAnon, peakFile, peakSum};
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
        }
    }
}

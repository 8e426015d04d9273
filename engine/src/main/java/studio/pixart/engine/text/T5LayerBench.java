package studio.pixart.engine.text;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import studio.pixart.engine.nd.Torch;

/**
 * Times T5 blocks at the real XXL width (d_model 4096, 64 heads x 64, d_ff 10240, 32 buckets / 128)
 * with random in-memory weights (4 blocks, nothing written to disk), for a 20-token prompt padded
 * to 300 (full vs. {@link T5Encoder#encodeTrimmed trimmed}) and a 300-token prompt, in float32 and
 * float16, and extrapolates to the encoder's 24 blocks. Seconds per block are the median over blocks
 * and runs after one warm-up run. Runs that would be very slow (float16 matmuls on a CPU without
 * half-precision units) are capped: fewer blocks, no extra runs; the report says so.
 *
 * <p>Usage: {@code java -cp engine/target/pixart-cli.jar:engine/target/lib/* studio.pixart.engine.text.T5LayerBench [maxSecondsPerCase]}
 */
public final class T5LayerBench {
    private static final int LAYERS = 4;
    private static final int MAX_LEN = 300;
    private static final int SHORT = 20;

    /** Thrown from the block observer to stop a capped run after a number of blocks. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    private record Result(String dtype, String prompt, int positions, double secondsPerLayer, int samples, String note) {}

    private T5LayerBench() {}

    public static void main(String[] args) throws IOException {
        double budget = args.length > 0 ? Double.parseDouble(args[0]) : 60;
        Torch.prepareThread();
        T5Config xxl = T5Config.xxl();
        // Real widths, 4 blocks, a small vocabulary (the embedding lookup is not what is measured).
        T5Config cfg = new T5Config(xxl.dModel(), xxl.dKv(), xxl.numHeads(), xxl.dFf(), LAYERS, 1024,
                xxl.numBuckets(), xxl.maxDistance(), xxl.layerNormEps(), xxl.activation());
        Random r = new Random(7);
        long[][] shortIds = new long[1][MAX_LEN];
        long[][] shortMask = new long[1][MAX_LEN];
        long[][] longIds = new long[1][MAX_LEN];
        long[][] longMask = new long[1][MAX_LEN];
        for (int j = 0; j < MAX_LEN; j++) {
            longIds[0][j] = 3 + r.nextInt(cfg.vocabSize() - 3);
            longMask[0][j] = 1;
            if (j < SHORT) {
                shortIds[0][j] = longIds[0][j];
                shortMask[0][j] = 1;
            }
        }
        System.out.printf("T5 block benchmark: d_model %d, %d heads x %d, d_ff %d, %d random blocks, CPU threads %d%n",
                cfg.dModel(), cfg.numHeads(), cfg.dKv(), cfg.dFf(), LAYERS, Runtime.getRuntime().availableProcessors());
        List<Result> results = new ArrayList<>();
        for (DataType dtype : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
            long t0 = System.nanoTime();
            try (T5Encoder enc = T5Encoder.random(cfg, Device.cpu(), dtype, 42)) {
                System.out.printf("%s: built %d blocks in %.1f s, VmHWM %s%n", dtype, LAYERS,
                        (System.nanoTime() - t0) / 1e9, peakRss());
                String dt = dtype == DataType.FLOAT32 ? "float32" : "float16";
                // float16 GEMMs may be slow on a CPU: no warm-up run there, the per-block median absorbs first-touch costs.
                int firstWarmups = dtype == DataType.FLOAT32 ? 1 : 0;
                Result trimmed = measure(enc, dt, "20 tokens, trimmed", shortIds, shortMask, true, budget, LAYERS, firstWarmups);
                results.add(trimmed);
                // Cap the 300-position runs when the 20-position one already shows a very slow path:
                // linear terms grow x15, so estimate and limit the blocks and runs accordingly.
                double projected = trimmed.secondsPerLayer() * MAX_LEN / SHORT;
                int layers = projected > budget ? 1 : LAYERS;
                int warmups = projected > budget / 2 ? 0 : 1;
                results.add(measure(enc, dt, "20 tokens, padded to 300", shortIds, shortMask, false, budget, layers, warmups));
                results.add(measure(enc, dt, "300 tokens", longIds, longMask, false, budget, layers, warmups));
            }
            System.out.printf("after %s: VmHWM %s%n", dtype, peakRss());
        }
        System.out.println();
        System.out.println("| dtype | prompt | positions computed | s / block (median) | samples | est. 24 blocks (s) | note |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        for (Result x : results) {
            System.out.printf("| %s | %s | %d | %.3f | %d | %.1f | %s |%n", x.dtype(), x.prompt(), x.positions(),
                    x.secondsPerLayer(), x.samples(), x.secondsPerLayer() * T5Config.xxl().numLayers(), x.note());
        }
        for (int i = 0; i + 2 < results.size(); i += 3) {
            System.out.printf("%s: padded/trimmed time ratio for a 20-token prompt: %.1fx%n", results.get(i).dtype(),
                    results.get(i + 1).secondsPerLayer() / results.get(i).secondsPerLayer());
        }
        System.out.println("peak RSS (VmHWM): " + peakRss());
    }

    /**
     * Per-block seconds: warm-up runs, then runs until the time budget is used (at least one).
     * Block i's time is the gap between the observer calls of blocks i-1 and i.
     */
    private static Result measure(T5Encoder enc, String dtype, String prompt, long[][] ids, long[][] mask,
                                  boolean trimmed, double budget, int layers, int warmups) {
        int positions = trimmed ? T5Encoder.computedLength(mask) : ids[0].length;
        List<Double> samples = new ArrayList<>();
        double spent = 0;
        int runs = 0;
        for (int run = 0; ; run++) {
            List<Double> times = new ArrayList<>();
            long start = System.nanoTime();
            long[] last = {start};
            try (NDManager m = Torch.newManager()) {
                T5Encoder.BlockObserver obs = (i, h) -> {
                    long now = System.nanoTime();
                    times.add((now - last[0]) / 1e9);
                    last[0] = now;
                    if (i + 1 >= layers) {
                        throw new Stop();
                    }
                };
                if (trimmed) {
                    int keep = positions;
                    enc.encode(m, Arrays.stream(ids).map(x -> Arrays.copyOf(x, keep)).toArray(long[][]::new),
                            Arrays.stream(mask).map(x -> Arrays.copyOf(x, keep)).toArray(long[][]::new), obs);
                } else {
                    enc.encode(m, ids, mask, obs);
                }
            } catch (Stop stopped) {
                // capped run: the blocks measured so far are in `times`
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            System.out.printf("  %s %s run %d: %s s per block%n", dtype, prompt, run,
                    times.stream().map(t -> String.format("%.3f", t)).toList());
            if (run < warmups) {
                continue;
            }
            samples.addAll(times);
            runs++;
            spent += elapsed;
            if (spent + elapsed > budget || runs >= 5) {
                break;
            }
        }
        double[] s = samples.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        String note = (warmups == 0 ? "no warm-up, " : "") + runs + " run(s) of " + layers + " block(s)";
        return new Result(dtype, prompt, positions, median, s.length, note);
    }

    /** Peak resident set size of this process (Linux VmHWM), e.g. "3.4 GB". */
    static String peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format("%.2f GB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown";
    }
}

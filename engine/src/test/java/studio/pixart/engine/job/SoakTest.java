package studio.pixart.engine.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import studio.pixart.engine.Golden;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.GenerationRequest.PreviewMode;

/**
 * Soak test of the job engine on the tiny pipeline: jobs cancelled at random steps, then a queue
 * of jobs submitted at once. Every finished image must equal the reference image of its seed
 * (rendered first by the same engine), and native memory must stay flat: the least-squares slope
 * of the process's resident memory over the jobs is reported and bounded.
 *
 * <p>CI runs 10 cancelled + 5 queued jobs. The full soak (100 + 50, about a minute on an idle
 * 2-core machine) is {@code mvn -B -ntp -pl engine test -Dtest=SoakTest -Dsoak.full=true}.
 */
class SoakTest {
    static final String TINY = Golden.model("tiny-pixart-sigma").toString();
    static final int STEPS = 8;
    static final int SEEDS = 5;
    /** MB per job: a job that kept one step's tensors (≥ 2 MB at 64 px) would exceed it. */
    static final double MAX_SLOPE_MB_PER_JOB = 0.5;

    static GenerationRequest request(long seed) {
        return new GenerationRequest(TINY, List.of("a lighthouse on a cliff at dusk"), List.of(), seed, STEPS, 4.5, "dpm",
                64, 64, 16, false, 1, "cpu", "float32", PreviewMode.FAST, GenerationRequest.KvCompressionMode.OFF,
                GenerationRequest.SeedMode.BATCH, null, List.of(), "auto", "full");
    }

    static JobEvent await(JobHandle h) {
        try {
            return h.done().get(5, TimeUnit.MINUTES);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void cancelledJobsAndAQueueStayCorrectWithFlatMemory() {
        boolean full = Boolean.getBoolean("soak.full");
        int cancelled = full ? 100 : 10;
        int queued = full ? 50 : 5;
        Torch.prepareThread();
        long t0 = System.nanoTime();
        try (EngineService engine = new EngineService(null, new ModelLocator())) {
            // references: one full run per seed
            List<float[]> reference = new ArrayList<>();
            for (int s = 0; s < SEEDS; s++) {
                JobEvent.Finished f = assertInstanceOf(JobEvent.Finished.class, await(engine.submit(request(s), null)));
                reference.add(f.images().get(0).samples());
            }
            List<Double> rssMb = new ArrayList<>();
            Random random = new Random(14);
            int stoppedEarly = 0;
            // 1. jobs cancelled at a random step
            for (int i = 0; i < cancelled; i++) {
                int at = 1 + random.nextInt(STEPS - 1);
                JobHandle[] h = new JobHandle[1];
                CountDownLatch submitted = new CountDownLatch(1);
                h[0] = engine.submit(request(i % SEEDS), e -> {
                    if (e instanceof JobEvent.Step s && s.step() == at) {
                        try {
                            submitted.await();
                        } catch (InterruptedException ex) {
                            Thread.currentThread().interrupt();
                        }
                        h[0].cancel();
                    }
                });
                submitted.countDown();
                // the loop does not wait for listeners: a cancel sent at step k lands at step k or later,
                // and one that arrives after the last step lets the job finish (its image must be right)
                JobEvent end = await(h[0]);
                if (end instanceof JobEvent.Cancelled c) {
                    assertTrue(c.atStep() >= at && c.atStep() <= STEPS, "job " + i + ": stopped at step " + c.atStep() + " after a cancel at " + at);
                    stoppedEarly++;
                } else {
                    JobEvent.Finished f = assertInstanceOf(JobEvent.Finished.class, end, "job " + i);
                    assertArrayEquals(reference.get(i % SEEDS), f.images().get(0).samples(), "job " + i + " differs from its reference");
                }
                System.gc();
                rssMb.add(rss() / 1e6);
            }
            // 2. a queue, submitted at once
            List<JobHandle> handles = new ArrayList<>();
            for (int i = 0; i < queued; i++) {
                handles.add(engine.submit(request(i % SEEDS), null));
            }
            for (int i = 0; i < queued; i++) {
                JobEvent.Finished f = assertInstanceOf(JobEvent.Finished.class, await(handles.get(i)), "queued job " + i);
                assertArrayEquals(reference.get(i % SEEDS), f.images().get(0).samples(), "queued job " + i + " differs from its reference");
                System.gc();
                rssMb.add(rss() / 1e6);
            }
            // the first jobs warm up the JIT, the allocator's caches and the Java heap: fit after them
            int warmUp = full ? 20 : 5;
            double slope = slope(rssMb.subList(warmUp, rssMb.size()));
            double growth = rssMb.get(rssMb.size() - 1) - rssMb.get(warmUp);
            System.out.printf("soak: %d jobs cancelled at random steps (%d stopped, the rest finished first) + %d queued, all correct; "
                    + "RSS %.1f → %.1f MB, after %d warm-up jobs %+.1f MB, slope %+.3f MB/job; %.1f s%n", cancelled, stoppedEarly, queued, rssMb.get(0),
                    rssMb.get(rssMb.size() - 1), warmUp, growth, slope, (System.nanoTime() - t0) / 1e9);
            assertEquals(cancelled + queued, rssMb.size());
            assertTrue(stoppedEarly >= cancelled / 2, "most cancels must stop their job: " + stoppedEarly + " of " + cancelled);
            if (full) {
                assertTrue(slope < MAX_SLOPE_MB_PER_JOB, "native memory grows " + slope + " MB per job");
            } else {
                // ten jobs are too few for a slope; a job that kept its tensors would still add ≥ 2 MB each
                assertTrue(growth < 64, "RSS grew " + growth + " MB over " + (rssMb.size() - warmUp) + " jobs");
            }
        }
    }

    /** Least-squares slope of y over its index. */
    static double slope(List<Double> y) {
        int n = y.size();
        double mx = (n - 1) / 2.0;
        double my = y.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            num += (i - mx) * (y.get(i) - my);
            den += (i - mx) * (i - mx);
        }
        return den == 0 ? 0 : num / den;
    }

    static long rss() {
        return EngineServiceTest.rssBytes("VmRSS");
    }
}

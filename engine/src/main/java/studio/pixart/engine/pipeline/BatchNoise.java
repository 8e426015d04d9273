package studio.pixart.engine.pipeline;

import java.util.ArrayList;
import java.util.List;
import studio.pixart.engine.nd.SeededNoise;
import studio.pixart.engine.scheduler.NoiseSource;

/**
 * The random numbers of one call, as diffusers draws them with {@code generator=} one
 * torch.Generator ({@link GenerationRequest.SeedMode#BATCH}) or a list of them, one per image
 * ({@link GenerationRequest.SeedMode#PER_IMAGE}): the initial latents, then the stochastic samplers'
 * draws during the loop ({@link NoiseSource}).
 *
 * <p>libtorch's CPU generator is process-global, so the per-image streams cannot be held side by
 * side: an image's next draw re-seeds its generator and replays its earlier draws first (the same
 * shapes in the same order give the same numbers). The replay costs one draw per earlier draw of
 * that image — for a stochastic sampler about steps²/2 latent-sized draws per image in a run,
 * well under a transformer step; deterministic samplers draw nothing after the start. Use on the
 * engine worker thread only.
 */
final class BatchNoise implements NoiseSource {
    private final long[] seeds;
    private final boolean perImage;
    /** Per image, the length of each draw so far (per-image mode). */
    private final List<List<long[]>> drawn = new ArrayList<>();

    private BatchNoise(long[] seeds, boolean perImage) {
        this.seeds = seeds;
        this.perImage = perImage;
        for (int b = 0; b < seeds.length; b++) {
            drawn.add(new ArrayList<>());
        }
    }

    /** The generators of {@code req}: its seed for the batch, or seed + k for image k. */
    static BatchNoise of(GenerationRequest req) {
        long[] seeds = new long[req.batchSize()];
        for (int b = 0; b < seeds.length; b++) {
            seeds[b] = req.seedFor(b);
        }
        return new BatchNoise(seeds, req.seedMode() == GenerationRequest.SeedMode.PER_IMAGE);
    }

    /** The initial noise, (batch, channels, h, w) row-major: the first draw of every generator. */
    float[] initial(int channels, int h, int w) {
        int batch = seeds.length;
        if (!perImage) {
            return SeededNoise.randn(seeds[0], batch, channels, h, w);
        }
        int per = channels * h * w;
        float[] out = new float[batch * per];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(draw(b, new long[] {1, channels, h, w}), 0, out, b * per, per);
        }
        return out;
    }

    /** A sampler's draw for the whole batch: per image from its own generator in per-image mode. */
    @Override
    public float[] standardNormal(int length) {
        if (!perImage) {
            return SeededNoise.next(length);
        }
        int batch = seeds.length;
        int per = length / batch;
        float[] out = new float[length];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(draw(b, new long[] {per}), 0, out, b * per, per);
        }
        return out;
    }

    private float[] draw(int image, long[] shape) {
        List<long[]> history = drawn.get(image);
        SeededNoise.seed(seeds[image]);
        for (long[] earlier : history) {
            SeededNoise.next(earlier);
        }
        history.add(shape);
        return SeededNoise.next(shape);
    }
}

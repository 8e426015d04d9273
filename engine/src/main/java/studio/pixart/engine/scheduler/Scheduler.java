package studio.pixart.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A diffusion sampler working on flat, row-major float32 latents, built from a diffusers
 * {@code scheduler_config.json} and behaving like the diffusers class of the same name
 * (diffusers v0.31.0).
 *
 * <p>Use per run: {@link #setTimesteps} (which also clears any solver history), then for
 * {@code i = 0 … numSteps()-1}: {@code x_in = scaleModelInput(x, i)}, run the model at
 * {@link #timestep(int) timestep(i)}, {@code x = step(eps, i, x, noise).prevSample()}. Initial
 * latents are {@code noise × initNoiseSigma()}. The first step after {@code setTimesteps} may
 * start at any index (image-to-image), later steps must follow in order. Not thread-safe.
 */
public interface Scheduler {

    /** The result of one step: the next latents and the current estimate of the clean latents. */
    record StepResult(float[] prevSample, float[] predOriginalSample) {}

    /** Builds the scheduler named by the config's {@code _class_name}. */
    static Scheduler fromConfig(JsonNode config) {
        return Schedulers.fromConfig(config);
    }

    /** The diffusers class name this scheduler reproduces, e.g. {@code DPMSolverMultistepScheduler}. */
    String className();

    /**
     * Computes the timestep schedule for {@code numInferenceSteps} and resets all per-run state.
     *
     * @throws IllegalArgumentException if {@code numInferenceSteps} is below 1 or above what the
     *     configuration allows (num_train_timesteps; LCM: original_inference_steps)
     */
    void setTimesteps(int numInferenceSteps);

    /** Number of timesteps of the current schedule (normally the requested step count). */
    int numSteps();

    /** Timestep {@code i} as the transformer receives it (integer-valued unless Euler). */
    float timestep(int i);

    /** All timesteps; integer schedulers hold whole numbers (int64 in diffusers). */
    double[] timesteps();

    /** True when diffusers hands the model int64 timesteps; false for float32 (Euler). */
    boolean integerTimesteps();

    /** The factor the initial N(0, 1) latents are multiplied by (valid after setTimesteps). */
    float initNoiseSigma();

    /** The model input for step {@code i}; may return {@code sample} itself when the scaling is the identity. */
    float[] scaleModelInput(float[] sample, int stepIndex);

    /**
     * One denoising step from the model output at step {@code stepIndex}. Never modifies its
     * arguments. {@code noise} is only asked for draws when {@link #needsNoise()} is true.
     */
    StepResult step(float[] modelOutput, int stepIndex, float[] sample, NoiseSource noise);

    /**
     * Noises clean latents to the level of timestep {@code stepIndex} (diffusers' {@code add_noise}),
     * for image-to-image: denoising then continues from step {@code stepIndex}.
     */
    float[] addNoise(float[] original, float[] noise, int stepIndex);

    /** Whether {@link #step} draws random numbers (so the pipeline must pass its generator). */
    boolean needsNoise();
}

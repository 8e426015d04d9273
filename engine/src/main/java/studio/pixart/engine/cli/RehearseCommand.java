package studio.pixart.engine.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import studio.pixart.engine.io.AtomicFiles;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.model.PipelineFolder;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.pipeline.GenerationRequest;
import studio.pixart.engine.pipeline.PipelineOptions;
import studio.pixart.engine.pipeline.PixArtPipeline;
import studio.pixart.engine.pipeline.PromptEncoder;
import studio.pixart.engine.pipeline.TextEncoderOptions;
import studio.pixart.engine.rehearsal.ProcessMemory;
import studio.pixart.engine.rehearsal.RehearsalFolder;
import studio.pixart.engine.rehearsal.RehearsalLayout;
import studio.pixart.engine.text.T5Encoder;
import studio.pixart.engine.text.T5Tokenizer;
import studio.pixart.engine.transformer.PixArtTransformer;

/**
 * {@code pixart rehearse}: the real size without a download. Writes once (into {@code --dir}) a
 * pipeline folder of the published PixArt-Σ 1024 layout and sizes with random weights
 * ({@link RehearsalFolder}), then times the stages a user waits for — loading, encoding a 20- and a
 * 120-token prompt (with the empty negative prompt, as a CFG generation does), one CFG denoising
 * step at 512 and 1024 px, the VAE decode at 1024 px and, on request, a whole 1024 px generation —
 * and reports each stage's peak resident memory split into anonymous and file-backed (sampled
 * from /proc/self/status), page faults, and the machine's float32 matmul rate beside it.
 */
@Command(name = "rehearse", description = "Time the real-size PixArt-Σ 1024 pipeline (random weights, written once to a cache folder).")
final class RehearseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", description = "cache folder for the rehearsal pipelines (default: ~/.cache/pixart-studio/rehearsal)")
    Path dir;

    @Option(names = "--layout", description = "sigma-1024 (published sizes) or mini (scaled down, seconds) (default: ${DEFAULT-VALUE})")
    String layout = "sigma-1024";

    @Option(names = "--t5-shards", paramLabel = "DTYPE", description = "dtype of the T5 shards: bf16 (as published) or f32 (default: ${DEFAULT-VALUE})")
    String t5Shards = "bf16";

    @Option(names = "--stages", split = ",", paramLabel = "STAGE",
            description = "stages to run: load, encode20, encode120, stepS, stepL, decodeS, decodeL, generateS, generateL with "
                    + "S/L the layout's sizes (512/1024 for sigma-1024), int8error (8-bit T5 against full precision), all, "
                    + "or prepare (only write the folder) (default: load, encode20, encode120, stepS, stepL, decodeL)")
    List<String> stages;

    @Option(names = "--steps", description = "denoising steps of the generate stage (default: ${DEFAULT-VALUE})")
    int steps = 2;

    @Option(names = "--guidance", description = "guidance of the generate stage; 1 or less runs without CFG (one batch row, "
            + "as LCM does) (default: ${DEFAULT-VALUE})")
    double guidance = 4.5;

    @Option(names = "--device", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    @Option(names = "--dtype", description = "auto, float32 or float16 (default: ${DEFAULT-VALUE})")
    String dtype = "auto";

    @Option(names = "--seed", description = "seed of the random weights (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--matmul", paramLabel = "N", description = "side of the reference float32 matmul (default: 2048, mini 512)")
    int matmul;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON")
    Path json;

    @Option(names = "--text-encoder", paramLabel = "full|int8", description = "T5 weights for the encode and generate stages: "
            + "full (the shards as they are) or int8 (the 8-bit copy, converted once into --int8-dir) (default: ${DEFAULT-VALUE})")
    String textEncoder = "full";

    @Option(names = "--int8-dir", paramLabel = "DIR", description = "cache of 8-bit T5 copies (default: ~/.cache/pixart-studio/t5-int8)")
    Path int8Dir;

    @Option(names = "--release-text-encoder", description = "free T5 right after encoding (the low-memory setting) in the generate stage")
    boolean releaseTextEncoder;

    /** T5 options of the encode stages (the 8-bit cache folder included). */
    private TextEncoderOptions te;

    /** One measured stage. */
    record StageResult(String stage, double seconds, long peakAnon, long anonBefore, long peakFile, long peakRss, long minorFaults,
                       long majorFaults, double loadBefore, String note) {
        /** Anonymous memory the stage itself added at its peak (what was resident before it, e.g. the loaded transformer, excluded). */
        long anonAdded() {
            return Math.max(0, peakAnon - anonBefore);
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        RehearsalLayout lay = RehearsalLayout.named(layout);
        RehearsalFolder.T5Shards shards = switch (t5Shards.toLowerCase()) {
            case "bf16", "bfloat16" -> RehearsalFolder.T5Shards.BF16;
            case "f32", "fp32", "float32" -> RehearsalFolder.T5Shards.F32;
            default -> throw new IllegalArgumentException("--t5-shards is bf16 or f32, got " + t5Shards);
        };
        List<String> defaults = List.of("load", "encode20", "encode120", "step" + lay.smallPx(), "step" + lay.largePx(),
                "decode" + lay.largePx());
        List<String> known = List.of("load", "encode20", "encode120", "step" + lay.smallPx(), "step" + lay.largePx(),
                "decode" + lay.smallPx(), "decode" + lay.largePx(), "generate" + lay.smallPx(), "generate" + lay.largePx(), "int8error");
        List<String> todo = new ArrayList<>();
        if (stages == null || stages.isEmpty()) {
            todo.addAll(defaults);
        } else {
            for (String s : stages) {
                if (s.equals("prepare")) {
                    continue; // only write the folder
                }
                if (s.equals("all")) {
                    todo.addAll(known);
                } else if (!known.contains(s)) {
                    throw new IllegalArgumentException("--stages: unknown stage '" + s + "' for layout " + lay.name() + " (known: "
                            + String.join(", ", known) + ", all)");
                } else {
                    todo.add(s);
                }
            }
        }
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        if (!(guidance >= 0 && guidance <= 100)) {
            throw new IllegalArgumentException("--guidance must be between 0 and 100, got " + guidance);
        }
        Path root = dir != null ? dir : Path.of(System.getProperty("user.home"), ".cache", "pixart-studio", "rehearsal");
        te = TextEncoderOptions.parse(textEncoder).withInt8CacheRoot(int8Dir);
        PipelineOptions options = PipelineOptions.on(device, dtype).withTextEncoderInt8(te.int8())
                .withReleaseTextEncoder(releaseTextEncoder);
        Torch.prepareThread();

        out.printf("machine: %d CPU threads, %.1f GB RAM, load average %.2f%n", Runtime.getRuntime().availableProcessors(),
                memTotal() / 1e9, ProcessMemory.loadAverage());
        long tw = System.nanoTime();
        Path folderDir = RehearsalFolder.ensure(root, lay, shards, seed, msg -> {
            out.println("  " + msg);
            out.flush();
        });
        out.printf("pipeline folder: %s (%.1f s to prepare; T5 %s shards)%n", folderDir, (System.nanoTime() - tw) / 1e9, shards);
        if (todo.isEmpty()) {
            return 0;
        }
        int mm = matmul > 0 ? matmul : (lay.largePx() >= 1024 ? 2048 : 512);
        double gflops = BenchCommand.matmulGflops(mm, 5);
        out.printf("matmul %d³ float32 through libtorch: %.1f GFLOP/s; device %s, compute dtype %s%n", mm, gflops,
                options.device(), options.dtype());
        out.flush();

        PipelineFolder folder = PipelineFolder.open(folderDir.toString());
        List<StageResult> results = new ArrayList<>();
        Map<String, Object> extra = new LinkedHashMap<>();
        try (ProcessMemory.Sampler sampler = new ProcessMemory.Sampler(10)) {
            PixArtPipeline pipeline = null;
            try {
                boolean needPipeline = todo.stream().anyMatch(s -> !s.startsWith("encode"));
                if (needPipeline) {
                    Stage st = new Stage(sampler);
                    pipeline = PixArtPipeline.load(folder, options, null);
                    // The encode stages load their own T5; the pipeline's would only hold mappings.
                    pipeline.releaseTextEncoder();
                    if (todo.contains("load")) {
                        results.add(st.done("load", "transformer + VAE (+ T5 " + "index) into " + options.dtype()));
                    }
                }
                for (String s : todo) {
                    if (s.equals("load")) {
                        continue;
                    }
                    if (s.startsWith("encode")) {
                        results.add(encodeStage(s, Integer.parseInt(s.substring(6)), folder, options, sampler, out));
                    } else if (s.startsWith("step")) {
                        results.add(stepStage(s, Integer.parseInt(s.substring(4)), pipeline, sampler));
                    } else if (s.startsWith("decode")) {
                        results.add(decodeStage(s, Integer.parseInt(s.substring(6)), pipeline, sampler));
                    } else if (s.equals("int8error")) {
                        results.add(int8Stage(folder, options, sampler, extra, out));
                    } else if (s.startsWith("generate")) {
                        results.add(generateStage(s, Integer.parseInt(s.substring(8)), folder, pipeline, sampler, extra));
                    }
                    StageResult r = results.get(results.size() - 1);
                    out.printf("  %s: %.2f s, peak anon %s (+%s during the stage), file %s (%s)%n", r.stage(), r.seconds(),
                            gb(r.peakAnon()), gb(r.anonAdded()), gb(r.peakFile()), r.note());
                    out.flush();
                }
            } finally {
                if (pipeline != null) {
                    pipeline.close();
                }
            }
        }
        out.println();
        out.printf("| stage | seconds | peak anon GB | anon added GB | peak file-backed GB | peak RSS GB | major faults | load avg | note |%n");
        out.printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |%n");
        for (StageResult r : results) {
            out.printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %.2f | %s |%n", r.stage(), r.seconds(), r.peakAnon() / 1e9,
                    r.anonAdded() / 1e9, r.peakFile() / 1e9, r.peakRss() / 1e9, r.majorFaults(), r.loadBefore(), r.note());
        }
        out.printf("matmul: %.1f GFLOP/s (%d³ float32); load average at the end %.2f%n", gflops, mm, ProcessMemory.loadAverage());
        out.flush();
        if (json != null) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("layout", lay.name());
            j.put("t5_shards", shards.name());
            j.put("device", options.device().toString());
            j.put("dtype", options.dtype().toString());
            j.put("matmul_gflops", gflops);
            j.put("cpu_threads", Runtime.getRuntime().availableProcessors());
            j.put("stages", results);
            j.putAll(extra);
            AtomicFiles.writeString(json, Json.write(j));
        }
        return 0;
    }

    /** Memory and fault counters around one stage. */
    private static final class Stage {
        final ProcessMemory.Sampler sampler;
        final ProcessMemory before;
        final double load;
        final long start;

        Stage(ProcessMemory.Sampler sampler) {
            this.sampler = sampler;
            this.load = ProcessMemory.loadAverage();
            ProcessMemory.resetPeak();
            sampler.reset();
            this.before = ProcessMemory.now();
            this.start = System.nanoTime();
        }

        StageResult done(String name, String note) {
            double s = (System.nanoTime() - start) / 1e9;
            long[] p = sampler.peaks();
            ProcessMemory after = ProcessMemory.now();
            return new StageResult(name, s, p[0], before.rssAnon(), p[1], Math.max(after.vmHwm(), p[2]), after.minorFaults() - before.minorFaults(),
                    after.majorFaults() - before.majorFaults(), load, note);
        }
    }

    /** A fresh T5 (nothing cached), encoding the prompt and the empty negative prompt as a CFG generation does. */
    private StageResult encodeStage(String name, int tokens, PipelineFolder folder, PipelineOptions options,
                                    ProcessMemory.Sampler sampler, PrintWriter out) {
        try (PromptEncoder enc = new PromptEncoder(folder, options.device(), options.dtype(), null, true, te)) {
            String prompt = promptOf(enc.tokenizer(), tokens);
            int maxLen = folder.variant().defaultMaxSequenceLength;
            Stage st = new Stage(sampler);
            enc.loadTextEncoder();
            double loaded = (System.nanoTime() - st.start) / 1e9;
            enc.encode(List.of(prompt, ""), maxLen);
            StringBuilder note = new StringBuilder(String.format("%d + 1 tokens of %d, T5 load %.2f s", enc.tokenizer().encode(prompt, maxLen).tokenCount(),
                    maxLen, loaded));
            for (T5Encoder.Profile p : enc.takeProfiles()) {
                note.append(String.format("; pass (%d rows, %d positions): weights %.2f s, compute %.2f s", p.batch(), p.positions(),
                        p.weightSeconds(), p.computeSeconds()));
            }
            StageResult r = st.done(name, note.toString());
            return r;
        }
    }

    /**
     * The 8-bit T5 against full precision on a 20- and a 120-token prompt: converts the copy once
     * (timed separately), then cosine similarity and max relative error of the embeddings over the
     * valid positions, and both encoders' times.
     */
    private StageResult int8Stage(PipelineFolder folder, PipelineOptions options, ProcessMemory.Sampler sampler,
                                  Map<String, Object> extra, PrintWriter out) {
        TextEncoderOptions full = te.withInt8(false);
        TextEncoderOptions int8 = te.withInt8(true);
        Stage st = new Stage(sampler);
        long tc = System.nanoTime();
        studio.pixart.engine.text.T5Int8.ensure(folder.component("text_encoder"), int8.int8Root(), msg -> {
            out.println("  " + msg);
            out.flush();
        });
        double convert = (System.nanoTime() - tc) / 1e9;
        StringBuilder note = new StringBuilder(String.format("conversion %.1f s", convert));
        int maxLen = folder.variant().defaultMaxSequenceLength;
        for (int tokens : new int[] {20, 120}) {
            float[][] emb = new float[2][];
            double[] secs = new double[2];
            String prompt = null;
            long[] mask = null;
            int dim = 0;
            for (int k = 0; k < 2; k++) {
                try (PromptEncoder enc = new PromptEncoder(folder, options.device(), options.dtype(), null, true, k == 0 ? full : int8)) {
                    prompt = promptOf(enc.tokenizer(), tokens);
                    long t0 = System.nanoTime();
                    var e = enc.encode(List.of(prompt), maxLen);
                    secs[k] = (System.nanoTime() - t0) / 1e9;
                    emb[k] = e.embeds();
                    mask = e.attentionMask();
                    dim = e.dim();
                }
            }
            double dot = 0;
            double na = 0;
            double nb = 0;
            double maxDiff = 0;
            double maxRef = 0;
            for (int j = 0; j < mask.length; j++) {
                if (mask[j] == 0) {
                    continue;
                }
                for (int c = 0; c < dim; c++) {
                    float a = emb[0][j * dim + c];
                    float b = emb[1][j * dim + c];
                    dot += (double) a * b;
                    na += (double) a * a;
                    nb += (double) b * b;
                    maxDiff = Math.max(maxDiff, Math.abs(a - b));
                    maxRef = Math.max(maxRef, Math.abs(a));
                }
            }
            double cos = dot / Math.sqrt(na * nb);
            extra.put("int8_" + tokens + "_cosine", cos);
            extra.put("int8_" + tokens + "_max_relative_error", maxDiff / maxRef);
            note.append(String.format("; %d tokens: cosine %.6f, max rel. error %.4f, full %.1f s, int8 %.1f s", tokens, cos,
                    maxDiff / maxRef, secs[0], secs[1]));
        }
        return st.done("int8error", note.toString());
    }

    /** A prompt of exactly {@code tokens} tokens (counting the final {@code </s>}) for this tokenizer. */
    static String promptOf(T5Tokenizer tok, int tokens) {
        String[] words = ("a photograph of an old lighthouse on a rocky coast at sunset with waves crashing below warm light "
                + "seagulls in the sky a small boat near the shore clouds painted in orange and purple detailed realistic "
                + "wide angle view from the beach long exposure soft mist over the water and a path leading up the hill "
                + "towards the lantern room where a keeper watches the storm roll in from the north sea").split(" ");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; tok.encode(sb.toString(), 1000).tokenCount() < tokens; i++) {
            String next = (sb.length() == 0 ? "" : sb + " ") + words[i % words.length];
            if (tok.encode(next, 1000).tokenCount() > tokens) {
                // a multi-piece word would overshoot: pad with single letters
                next = sb + " a";
                if (tok.encode(next, 1000).tokenCount() > tokens) {
                    break;
                }
            }
            sb.setLength(0);
            sb.append(next);
        }
        return sb.toString();
    }

    private StageResult stepStage(String name, int px, PixArtPipeline pipeline, ProcessMemory.Sampler sampler) {
        PixArtTransformer tr = pipeline.transformer();
        int lat = px / pipeline.folder().vaeScaleFactor();
        int textLen = pipeline.defaultMaxSequenceLength();
        try (NDManager run = Torch.engine().newBaseManager(pipeline.device())) {
            Torch.seed(seed + 1);
            NDArray text = run.randomNormal(new Shape(2, textLen, tr.config().captionChannels())).mul(0.2f).toType(pipeline.dtype(), false);
            long[] mask = new long[2 * textLen];
            mask[0] = 1;
            for (int i = 0; i < 20; i++) {
                mask[textLen + i] = 1;
            }
            NDArray textMask = run.create(mask, new Shape(2, textLen));
            NDArray t = run.create(new long[] {500, 500});
            float[] latents = new float[4 * lat * lat];
            java.util.Random r = new java.util.Random(seed);
            for (int i = 0; i < latents.length; i++) {
                latents[i] = (float) r.nextGaussian();
            }
            Stage st = new Stage(sampler);
            BenchCommand.step(tr, run, latents, lat, t, text, textMask, null, null, 4.5f, pipeline.device(), pipeline.dtype());
            BenchCommand.Flops f = BenchCommand.stepFlops(tr.config(), lat, lat, textLen, 2, tr.options());
            return st.done(name, String.format("one CFG step (batch 2), %d image tokens, %.2f TFLOP", (lat / 2) * (lat / 2),
                    f.total() / 1e12));
        }
    }

    private StageResult decodeStage(String name, int px, PixArtPipeline pipeline, ProcessMemory.Sampler sampler) {
        int lat = px / pipeline.folder().vaeScaleFactor();
        float[] z = new float[4 * lat * lat];
        java.util.Random r = new java.util.Random(seed + 2);
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) r.nextGaussian();
        }
        Stage st = new Stage(sampler);
        int[] tiles = {0};
        pipeline.decodeLatents(z, 4, lat, lat, () -> false, (done, total) -> tiles[0] = total);
        return st.done(name, "VAE decode " + px + "×" + px + (tiles[0] > 1 ? ", " + tiles[0] + " tiles" : ", untiled"));
    }

    private StageResult generateStage(String name, int px, PipelineFolder folder, PixArtPipeline pipeline,
                                      ProcessMemory.Sampler sampler, Map<String, Object> extra) {
        String prompt = promptOf(pipeline.tokenizer(), 20) + " " + System.nanoTime() % 1000;
        GenerationRequest req = GenerationRequest.of(folder.root().toString(), prompt).withSize(px, px).withBinning(false).withSteps(steps)
                .withGuidance(guidance);
        Stage st = new Stage(sampler);
        PixArtPipeline.Result res = pipeline.generate(req, null, null);
        Map<String, Long> t = res.timingsMillis();
        extra.put(name + "_timings_ms", t);
        return st.done(name, String.format("%d×%d, %d steps, " + (guidance > 1 ? "CFG " + guidance : "no CFG") + ": text %.1f s, denoise %.1f s (%.1f s/step), decode %.1f s",
                px, px, steps, t.get("text") / 1e3, t.get("denoise") / 1e3, t.get("denoise") / 1e3 / steps, t.get("decode") / 1e3));
    }

    private static long memTotal() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    private static String gb(long b) {
        return String.format("%.2f GB", b / 1e9);
    }
}

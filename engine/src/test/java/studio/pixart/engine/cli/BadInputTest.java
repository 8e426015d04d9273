package studio.pixart.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import studio.pixart.engine.Golden;
import studio.pixart.engine.io.Json;

/**
 * Every bad input we know of, one case per input, run through the real command line in process:
 * the command fails with a non-zero exit, stderr names the option, file, tensor or key at fault
 * (the case's expected fragments), no stack trace is printed and no output file appears. Cases
 * on a broken model folder also run {@code inspect} (with {@code --deep} for weight contents),
 * which must list the same problem: inspect reports everything generate rejects.
 *
 * <p>The README's reliability table counts these cases; {@link #CASES} is the list.
 */
class BadInputTest {
    static final Path TINY = Golden.model("tiny-pixart-sigma");
    static Path work;
    private static final Map<String, Path> MODELS = new ConcurrentHashMap<>();

    /**
     * @param args    command line; "{T}" is the tiny model, "{M}" the case's broken model, "{D}" a
     *                scratch folder (outputs land there), "{F}" a plain file
     * @param breaker how to break a copy of the tiny model (null = no model copy)
     * @param inspect 0 = not run, 1 = plain inspect, 2 = inspect --deep, must report the problem
     * @param expect  fragments stderr must contain (case-insensitive)
     */
    record Case(String name, List<String> args, Consumer<Path> breaker, int inspect, List<String> expect, List<String> inspectExpect) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Case> CASES = new ArrayList<>();

    static void opt(String name, String args, String... expect) {
        CASES.add(new Case(name, split(args), null, 0, List.of(expect), List.of()));
    }

    static void model(String name, String args, Consumer<Path> breaker, int inspect, String... expect) {
        CASES.add(new Case(name, split(args), breaker, inspect, List.of(expect), List.of(expect)));
    }

    /** A weight-content fault: generate stops at the step or component where it shows; inspect --deep names the tensor. */
    static void weights(String name, Consumer<Path> breaker, List<String> generateSays, String... inspectSays) {
        CASES.add(new Case(name, split(GEN_M), breaker, 2, generateSays, List.of(inspectSays)));
    }

    static List<String> split(String args) {
        // arguments are separated by " | " so that values may hold spaces
        return Arrays.stream(args.split(" \\| ")).map(String::trim).toList();
    }

    static final String GEN = "generate | --model | {T} | --prompt | a red fox | --steps | 2 | --width | 64 | --height | 64 | --out | {D}/out.png";
    /** The tiny model has no aspect-ratio bins, so broken copies of it generate with --no-binning. */
    static final String GEN_M = "generate | --model | {M} | --prompt | a red fox | --steps | 2 | --width | 64 | --height | 64 | --no-binning | --out | {D}/out.png";
    static final String POSTER = "poster | --model | {T} | --prompt | a red fox | --steps | 4 | --out | {D}/p.png";

    static {
        // ---- generate: options ----
        opt("width negative", GEN + " | --width | -64", "--width", "1 and 16384", "-64");
        opt("width zero", GEN + " | --width | 0", "--width", "1 and 16384");
        opt("width above maximum", GEN + " | --width | 20000", "--width", "16384");
        opt("height negative", GEN + " | --height | -1", "--height", "1 and 16384");
        opt("width without height", "generate | --model | {T} | --prompt | x | --width | 64 | --out | {D}/out.png", "both --width and --height");
        opt("width not a number", GEN + " | --width | wide", "--width", "wide");
        opt("aspect letters", GEN.replace(" | --width | 64 | --height | 64", "") + " | --aspect | a:b", "--aspect", "a:b");
        opt("aspect infinite", GEN.replace(" | --width | 64 | --height | 64", "") + " | --aspect | Infinity:1", "--aspect", "finite positive");
        opt("aspect NaN", GEN.replace(" | --width | 64 | --height | 64", "") + " | --aspect | NaN:1", "--aspect", "finite positive");
        opt("aspect zero", GEN.replace(" | --width | 64 | --height | 64", "") + " | --aspect | 0:1", "--aspect", "finite positive");
        opt("aspect negative", GEN.replace(" | --width | 64 | --height | 64", "") + " | --aspect | -16:9", "--aspect");
        opt("aspect one number", GEN.replace(" | --width | 64 | --height | 64", "") + " | --aspect | 16", "--aspect", "W:H");
        opt("aspect three numbers", GEN.replace(" | --width | 64 | --height | 64", "") + " | --aspect | 1:1:1", "--aspect", "W:H");
        opt("aspect too extreme", GEN.replace(" | --width | 64 | --height | 64", "") + " | --aspect | 100:1", "--aspect", "16:1");
        opt("aspect and width together", GEN + " | --aspect | 16:9", "either --width/--height or --aspect");
        opt("size without aspect", GEN.replace(" | --width | 64 | --height | 64", "") + " | --size | 512", "--size goes with --aspect");
        opt("size zero", GEN.replace(" | --width | 64 | --height | 64", "") + " | --aspect | 1:1 | --size | 0", "--size", "16 and 16384");
        opt("size above maximum", GEN.replace(" | --width | 64 | --height | 64", "") + " | --aspect | 1:1 | --size | 99999", "--size", "16384");
        opt("kv-compress unknown", GEN + " | --kv-compress | bogus", "--kv-compress", "off, on, auto", "bogus");
        opt("preview unknown", GEN + " | --preview-dir | {D}/prev | --preview | bogus", "--preview", "fast, vae, both");
        opt("preview without folder", GEN + " | --preview | fast", "--preview needs --preview-dir");
        opt("preview-dir is a file", GEN + " | --preview-dir | {F}", "--preview-dir", "is a file");
        opt("out under a file", GEN.replace("{D}/out.png", "{F}/out.png"), "--out", "is a file");
        opt("out is a folder", GEN.replace("{D}/out.png", "{D}"), "--out");
        opt("out unknown extension", GEN.replace("out.png", "out.gif"), "--out", ".png");
        opt("out without extension", GEN.replace("out.png", "out"), "--out", ".png");
        opt("second of two outputs is a folder", GEN + " | --num-images | 2 | --out | {D}/multi.png", "--out", "multi-1.png", "folder");
        opt("num-images zero", GEN + " | --num-images | 0", "--num-images", "1 and 64");
        opt("num-images above maximum", GEN + " | --num-images | 65", "--num-images", "1 and 64");
        opt("steps zero", GEN + " | --steps | 0", "--steps", "1 and 1000");
        opt("steps negative", GEN + " | --steps | -5", "--steps", "1 and 1000");
        opt("steps above maximum", GEN + " | --steps | 1001", "--steps", "1 and 1000");
        opt("steps not a number", GEN + " | --steps | many", "--steps", "many");
        opt("guidance negative", GEN + " | --guidance | -1", "--guidance", "0 and 100");
        opt("guidance NaN", GEN + " | --guidance | NaN", "--guidance", "0 and 100");
        opt("guidance infinite", GEN + " | --guidance | Infinity", "--guidance", "0 and 100");
        opt("guidance above maximum", GEN + " | --guidance | 101", "--guidance", "0 and 100");
        opt("sampler unknown", GEN + " | --sampler | bogus", "--sampler", "dpm", "bogus");
        opt("device unknown", GEN + " | --device | tpu", "--device", "auto, cpu, cuda");
        opt("dtype unknown", GEN + " | --dtype | int8", "--dtype", "float32");
        opt("max-sequence-length zero", GEN + " | --max-sequence-length | 0", "--max-sequence-length", "1 and 512");
        opt("max-sequence-length negative", GEN + " | --max-sequence-length | -5", "--max-sequence-length", "1 and 512");
        opt("max-sequence-length huge", GEN + " | --max-sequence-length | 100000", "--max-sequence-length", "1 and 512");
        opt("seed not a number", GEN + " | --seed | lucky", "--seed", "lucky");
        opt("seed beyond 64 bits", GEN + " | --seed | 99999999999999999999", "--seed");
        opt("negative prompts do not match prompts", GEN + " | --prompt | b | --prompt | c | --negative-prompt | n1 | --negative-prompt | n2",
                "--negative-prompt", "3 prompts, 2 negative");
        opt("missing prompt", "generate | --model | {T} | --out | {D}/out.png", "--prompt");
        opt("missing model", "generate | --prompt | x | --out | {D}/out.png", "--model");
        opt("blank model", "generate | --model |   | --prompt | x | --out | {D}/out.png", "--model");
        opt("missing out", "generate | --model | {T} | --prompt | x", "--out");
        opt("model folder does not exist", GEN.replace("{T}", "{D}/no-such-model"), "no-such-model", "not found");
        opt("model is a file", GEN.replace("{T}", "{F}"), "is a file");
        opt("model id not in cache", GEN.replace("{T}", "nobody/no-such-model"), "nobody/no-such-model", "cache");
        opt("unknown option", GEN + " | --turbo", "--turbo");
        opt("no-binning size not a multiple", GEN.replace("| 64 | --height | 64", "| 102 | --height | 64") + " | --no-binning", "--no-binning", "multiples of 4", "102");
        // ---- poster ----
        opt("poster quality above 100", POSTER + " | --width | 128 | --height | 128 | --quality | 500", "--quality", "0 and 100");
        opt("poster quality negative", POSTER + " | --width | 128 | --height | 128 | --quality | -1", "--quality", "0 and 100");
        opt("poster dpi zero", POSTER + " | --width | 128 | --height | 128 | --dpi | 0", "--dpi", "1 and 10000");
        opt("poster dpi negative", POSTER + " | --width | 128 | --height | 128 | --dpi | -300", "--dpi", "1 and 10000");
        opt("poster dpi huge", POSTER + " | --width | 128 | --height | 128 | --dpi | 100000", "--dpi", "10000");
        opt("poster 16bit JPEG", POSTER.replace("p.png", "p.jpg") + " | --width | 128 | --height | 128 | --16bit", "--16bit", "JPEG");
        opt("poster strength zero", POSTER + " | --width | 128 | --height | 128 | --strength | 0", "--strength", "greater than 0");
        opt("poster strength above one", POSTER + " | --width | 128 | --height | 128 | --strength | 1.5", "--strength");
        opt("poster strength NaN", POSTER + " | --width | 128 | --height | 128 | --strength | NaN", "--strength");
        opt("poster strength leaves no step", POSTER + " | --width | 128 | --height | 128 | --strength | 0.1", "--strength 0.1", "--steps 4", "no refinement step");
        opt("poster preset unknown", POSTER + " | --preset | bogus", "--preset", "bogus", "--list-presets");
        opt("poster preset and size", POSTER + " | --preset | 4k | --width | 128 | --height | 128", "either --preset or --width");
        opt("poster no size", POSTER, "--preset NAME or --width");
        opt("poster too small", POSTER + " | --width | 32 | --height | 32", "64..16384");
        opt("poster too large", POSTER + " | --width | 20000 | --height | 128", "--width", "16384");
        opt("poster two prompts", POSTER + " | --width | 128 | --height | 128 | --prompt | another", "one --prompt");
        opt("poster several images", POSTER + " | --width | 128 | --height | 128 | --num-images | 2", "one --prompt and one image");
        opt("poster missing out", "poster | --model | {T} | --prompt | x | --width | 128 | --height | 128", "--out");
        opt("poster out unknown extension", POSTER.replace("p.png", "p.gif") + " | --width | 128 | --height | 128", "--out", ".png");
        opt("poster out under a file", POSTER.replace("{D}/p.png", "{F}/p.png") + " | --width | 128 | --height | 128", "--out", "is a file");
        opt("poster list-presets dpi zero", "poster | --list-presets | --dpi | 0", "--dpi");
        // ---- tokenize / encode ----
        opt("tokenize max-length zero", "tokenize | --model | {T} | --max-length | 0 | hello", "--max-length", "1 and 512");
        opt("tokenize max-length huge", "tokenize | --model | {T} | --max-length | 100000000 | hello", "--max-length", "1 and 512");
        opt("tokenize max-length 1e8", "tokenize | --model | {T} | --max-length | 1e8 | hello", "--max-length", "1e8");
        opt("tokenize without text", "tokenize | --model | {T}", "TEXT");
        opt("tokenize without model", "tokenize | hello", "--model");
        opt("tokenize model missing", "tokenize | --model | {D}/nothing-here | hello", "nothing-here", "not found");
        opt("encode out not safetensors", "encode | --model | {T} | --out | {D}/e.txt | hello", "--out", ".safetensors");
        opt("encode max-length zero", "encode | --model | {T} | --max-length | 0 | --out | {D}/e.safetensors | hello", "--max-length");
        opt("encode device unknown", "encode | --model | {T} | --device | tpu | --out | {D}/e.safetensors | hello", "--device");
        opt("encode out under a file", "encode | --model | {T} | --out | {F}/e.safetensors | hello", "--out", "is a file");
        // ---- bench ----
        opt("bench matmul zero", "bench | --matmul | 0", "--matmul", "64 and 8192");
        opt("bench size huge", "bench | --size | 100000", "--size", "16384");
        opt("bench size not a multiple of 16", "bench | --size | 17", "--size", "multiple of 16");
        opt("bench size zero", "bench | --size | 0", "--size");
        opt("bench steps zero", "bench | --steps | 0", "--steps");
        opt("bench kv-compress unknown", "bench | --kv-compress | maybe", "--kv-compress", "on, off");
        opt("bench preview unknown", "bench | --preview | bogus", "--preview", "none, fast, vae, both");
        opt("bench text-tokens zero", "bench | --text-tokens | 0", "--text-tokens");
        opt("bench valid-tokens beyond text", "bench | --valid-tokens | 999", "--valid-tokens");
        // ---- inspect ----
        opt("inspect base missing", "inspect | {T} | --base | /nonexistent-base", "/nonexistent-base", "not found");
        opt("inspect model missing", "inspect | {D}/no-model", "no-model", "not found");
        opt("unknown subcommand", "paint | x", "paint");
        opt("binning on a model without bins", GEN, "binning is not available", "--no-binning");

        // ---- broken model folders: generate refuses, inspect reports ----
        model("transformer sample_size 1e8", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("sample_size", 1e8)), 1,
                "sample_size", "out of range");
        model("transformer num_layers null", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.putNull("num_layers")), 1,
                "num_layers is null");
        model("transformer num_layers 2.7", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("num_layers", 2.7)), 1,
                "num_layers", "must be an integer");
        model("transformer num_layers text", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("num_layers", "two")), 1,
                "num_layers", "integer");
        model("transformer num_layers negative", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("num_layers", -1)), 1,
                "num_layers", "out of range");
        model("transformer norm_eps negative", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("norm_eps", -1e-6)), 1,
                "norm_eps");
        model("transformer norm_eps zero", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("norm_eps", 0)), 1,
                "norm_eps");
        model("transformer norm_eps NaN", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("norm_eps", Double.NaN)), 1,
                "norm_eps");
        model("transformer heads zero", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("num_attention_heads", 0)), 1,
                "num_attention_heads");
        model("transformer patch_size 3", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("patch_size", 3)), 1,
                "patch_size");
        model("transformer unknown class", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("_class_name", "UNet2DModel")), 1,
                "UNet2DModel", "not a PixArt transformer");
        model("transformer norm_type layer_norm", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("norm_type", "layer_norm")), 1,
                "norm_type");
        model("transformer activation relu", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("activation_fn", "relu")), 1,
                "activation_fn");
        model("transformer caption_channels mismatch", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("caption_channels", 32)), 1,
                "caption_channels 32", "d_model 16");
        model("transformer in_channels mismatch", GEN_M, m -> editJson(m, "transformer/config.json", c -> c.put("in_channels", 8)), 1,
                "in_channels 8", "latent_channels 4");
        model("alpha transformer in a sigma pipeline", GEN_M, m -> replaceFolder(m, "transformer", Golden.model("tiny-pixart-alpha/transformer")), 1,
                "PixArt-α transformer", "PixArtSigmaPipeline");
        model("transformer config not JSON", GEN_M, m -> write(m, "transformer/config.json", "{\"num_layers\": 2,"), 1,
                "transformer", "config.json", "not valid JSON");
        model("transformer config an array", GEN_M, m -> write(m, "transformer/config.json", "[1, 2]"), 1,
                "transformer");
        model("transformer config missing", GEN_M, m -> delete(m, "transformer/config.json"), 1,
                "transformer/config.json is missing");
        model("model_index unknown pipeline class", GEN_M, m -> editJson(m, "model_index.json", c -> c.put("_class_name", "StableDiffusionPipeline")), 1,
                "StableDiffusionPipeline", "not a PixArt pipeline");
        model("model_index truncated", GEN_M, m -> write(m, "model_index.json", "{\"_class_name\": \"PixArtSig"), 0,
                "model_index.json", "not valid JSON");
        model("scheduler unknown class", GEN_M, m -> editJson(m, "scheduler/scheduler_config.json", c -> c.put("_class_name", "MagicScheduler")), 1,
                "MagicScheduler", "not supported");
        model("scheduler beta_start NaN", GEN_M, m -> editJson(m, "scheduler/scheduler_config.json", c -> c.put("beta_start", Double.NaN)), 1,
                "beta_start", "not in [0, 1)");
        model("scheduler beta_start a string", GEN_M, m -> editJson(m, "scheduler/scheduler_config.json", c -> c.put("beta_start", "small")), 1,
                "beta_start", "expected a number");
        model("scheduler beta_end 2", GEN_M, m -> editJson(m, "scheduler/scheduler_config.json", c -> c.put("beta_end", 2.0)), 1,
                "beta", "not in [0, 1)");
        model("scheduler beta_end infinite", GEN_M, m -> editJson(m, "scheduler/scheduler_config.json", c -> c.put("beta_end", Double.POSITIVE_INFINITY)), 1,
                "beta");
        model("scheduler num_train_timesteps zero", GEN_M, m -> editJson(m, "scheduler/scheduler_config.json", c -> c.put("num_train_timesteps", 0)), 1,
                "num_train_timesteps");
        model("scheduler num_train_timesteps 1e8", GEN_M, m -> editJson(m, "scheduler/scheduler_config.json", c -> c.put("num_train_timesteps", 100000000)), 1,
                "num_train_timesteps", "100000");
        model("scheduler trained_betas wrong length", GEN_M, m -> editJson(m, "scheduler/scheduler_config.json",
                c -> c.putArray("trained_betas").add(0.1).add(0.2)), 1, "trained_betas");
        model("scheduler beta_schedule unknown", GEN_M, m -> editJson(m, "scheduler/scheduler_config.json", c -> c.put("beta_schedule", "wiggly")), 1,
                "beta_schedule");
        model("scheduler config missing", GEN_M, m -> delete(m, "scheduler/scheduler_config.json"), 1,
                "scheduler_config.json is missing");
        model("vae widths not divisible by groups", GEN_M, m -> editJson(m, "vae/config.json",
                c -> ((ArrayNode) c.putArray("block_out_channels")).add(8).add(15)), 1, "block_out_channels", "norm_num_groups");
        model("vae scaling_factor negative", GEN_M, m -> editJson(m, "vae/config.json", c -> c.put("scaling_factor", -1)), 1,
                "scaling_factor");
        model("vae latent_channels text", GEN_M, m -> editJson(m, "vae/config.json", c -> c.put("latent_channels", "four")), 1,
                "latent_channels", "integer");
        model("vae act_fn relu", GEN_M, m -> editJson(m, "vae/config.json", c -> c.put("act_fn", "relu")), 1,
                "act_fn");
        model("vae layers_per_block 1e6", GEN_M, m -> editJson(m, "vae/config.json", c -> c.put("layers_per_block", 1000000)), 1,
                "layers_per_block");
        model("vae up block type unknown", GEN_M, m -> editJson(m, "vae/config.json", c -> {
            ArrayNode a = c.putArray("up_block_types");
            a.add("UpDecoderBlock2D").add("AttnUpDecoderBlock2D");
        }), 1, "up_block_types", "AttnUpDecoderBlock2D");
        model("t5 d_model zero", GEN_M, m -> editJson(m, "text_encoder/config.json", c -> c.put("d_model", 0)), 1,
                "d_model");
        model("t5 feed_forward_proj relu", GEN_M, m -> editJson(m, "text_encoder/config.json", c -> c.put("feed_forward_proj", "relu")), 1,
                "feed_forward_proj");
        model("t5 layer_norm_epsilon negative", GEN_M, m -> editJson(m, "text_encoder/config.json", c -> c.put("layer_norm_epsilon", -1)), 1,
                "layer_norm_epsilon");
        model("t5 vocab smaller than tokenizer", GEN_M, m -> editJson(m, "text_encoder/config.json", c -> c.put("vocab_size", 10)), 1,
                "vocab_size");
        model("t5 num_layers missing", GEN_M, m -> editJson(m, "text_encoder/config.json", c -> c.remove("num_layers")), 1,
                "num_layers");
        model("tokenizer spiece.model missing", GEN_M, m -> delete(m, "tokenizer/spiece.model"), 1,
                "spiece.model is missing");
        model("tokenizer spiece.model garbage", GEN_M, m -> write(m, "tokenizer/spiece.model", "this is not a protobuf at all"), 1,
                "spiece.model");
        model("tokenizer spiece.model empty", GEN_M, m -> write(m, "tokenizer/spiece.model", ""), 1,
                "spiece.model");
        model("tokenizer spiece.model truncated", GEN_M, m -> truncate(m, "tokenizer/spiece.model", 0.5), 1,
                "spiece.model");
        model("tokenizer_config.json not JSON", GEN_M, m -> write(m, "tokenizer/tokenizer_config.json", "{\"extra_ids\": "), 1,
                "tokenizer_config.json", "not valid JSON");
        model("tokenizer extra_ids 1e8", GEN_M, m -> editJson(m, "tokenizer/tokenizer_config.json", c -> {
            c.remove("added_tokens_decoder");
            c.put("extra_ids", 100000000);
        }), 1, "extra_ids", "100000");
        model("tokenizer extra_ids negative", GEN_M, m -> editJson(m, "tokenizer/tokenizer_config.json", c -> {
            c.remove("added_tokens_decoder");
            c.put("extra_ids", -5);
        }), 1, "extra_ids");
        model("special_tokens_map.json not JSON", GEN_M, m -> write(m, "tokenizer/special_tokens_map.json", "[[["), 1,
                "special_tokens_map.json", "not valid JSON");
        model("tokenizer added token id not a number", GEN_M, m -> editJson(m, "tokenizer/tokenizer_config.json", c -> {
            ObjectNode dec = c.putObject("added_tokens_decoder");
            dec.putObject("zero").put("content", "<pad>");
        }), 1, "added_tokens_decoder", "zero");
        model("transformer weights truncated", GEN_M, m -> truncate(m, "transformer/diffusion_pytorch_model.safetensors", 0.9), 1,
                "diffusion_pytorch_model.safetensors", "truncated");
        model("transformer header length absurd", GEN_M, m -> overwrite(m, "transformer/diffusion_pytorch_model.safetensors", 0,
                new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0}), 1, "header length");
        model("transformer header not JSON", GEN_M, m -> overwrite(m, "transformer/diffusion_pytorch_model.safetensors", 8,
                "!!!!".getBytes(StandardCharsets.US_ASCII)), 1, "header is not valid JSON");
        model("transformer weights empty file", GEN_M, m -> write(m, "transformer/diffusion_pytorch_model.safetensors", ""), 1,
                "too short");
        model("float tensor labelled I32", GEN_M, m -> editHeader(m, "transformer/diffusion_pytorch_model.safetensors",
                h -> ((ObjectNode) h.get("proj_out.weight")).put("dtype", "I32")), 1, "proj_out.weight", "I32");
        model("tensor dtype unknown", GEN_M, m -> editHeader(m, "vae/diffusion_pytorch_model.safetensors",
                h -> ((ObjectNode) h.get("decoder.conv_in.bias")).put("dtype", "Q4")), 1, "decoder.conv_in.bias", "Q4");
        model("transformer tensor missing", GEN_M, m -> editHeader(m, "transformer/diffusion_pytorch_model.safetensors",
                h -> h.remove("proj_out.bias")), 1, "proj_out.bias");
        model("vae extra tensor", GEN_M, m -> editHeader(m, "vae/diffusion_pytorch_model.safetensors", h -> {
            ObjectNode extra = h.putObject("decoder.up_blocks.9.extra.weight");
            extra.put("dtype", "F32");
            extra.putArray("shape").add(0);
            extra.putArray("data_offsets").add(0).add(0);
        }), 1, "decoder.up_blocks.9.extra.weight");
        model("transformer tensor wrong shape", GEN_M, m -> editHeader(m, "transformer/diffusion_pytorch_model.safetensors", h -> {
            ObjectNode t = (ObjectNode) h.get("proj_out.bias");
            long n = t.get("shape").get(0).asLong();
            t.putArray("shape").add(1).add(n);
        }), 1, "proj_out.bias", "shape");
        weights("transformer weights NaN", m -> poison(m, "transformer/diffusion_pytorch_model.safetensors", "proj_out.bias", Float.NaN),
                List.of("step 1/2", "transformer", "NaN", "inspect --deep"), "proj_out.bias", "NaN");
        weights("transformer weights infinite", m -> poison(m, "transformer/diffusion_pytorch_model.safetensors",
                "transformer_blocks.0.attn1.to_q.weight", Float.POSITIVE_INFINITY), List.of("step 1/2", "transformer"),
                "transformer_blocks.0.attn1.to_q.weight", "infinite");
        weights("transformer weights 1e38", m -> poison(m, "transformer/diffusion_pytorch_model.safetensors",
                "transformer_blocks.1.ff.net.0.proj.weight", 1e38f), List.of("step 1/2", "transformer"),
                "transformer_blocks.1.ff.net.0.proj.weight", "magnitude");
        weights("vae weights NaN", m -> poison(m, "vae/diffusion_pytorch_model.safetensors", "decoder.conv_out.bias", Float.NaN),
                List.of("VAE decode", "weights or config"), "decoder.conv_out.bias", "NaN");
        weights("t5 weights NaN", m -> poison(m, "text_encoder/model.safetensors", "encoder.final_layer_norm.weight", Float.NaN),
                List.of("text encoder", "NaN"), "encoder.final_layer_norm.weight", "NaN");
        model("text encoder shards: tensor in two shards", GEN_M, m -> shard(m, "twice"), 1, "stored in two shards",
                "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");
        model("text encoder shards: tensor in no index entry", GEN_M, m -> shard(m, "unlisted"), 1, "not listed in");
        model("text encoder shards: listed shard missing", GEN_M, m -> shard(m, "missing-shard"), 1, "is missing");
        model("text encoder shards: empty weight_map", GEN_M, m -> shard(m, "empty-map"), 1, "no weight_map");
        model("text encoder shards: index points outside", GEN_M, m -> shard(m, "escape"), 1, "not a file in");
        model("transformer folder missing", GEN_M, m -> deleteTree(m.resolve("transformer")), 1, "missing component 'transformer/'");
        model("vae config missing", GEN_M, m -> delete(m, "vae/config.json"), 1, "vae/config.json is missing");
        model("vae weights missing", GEN_M, m -> delete(m, "vae/diffusion_pytorch_model.safetensors"), 1, "no .safetensors weights");
    }

    static Stream<Case> cases() {
        return CASES.stream();
    }

    @BeforeAll
    static void setUp() throws IOException {
        work = Files.createTempDirectory("pixart-bad-input");
    }

    @AfterAll
    static void tearDown() {
        deleteTree(work);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedWithAClearMessage(Case c) throws IOException {
        Path scratch = Files.createDirectories(work.resolve("out-" + Math.abs(c.name().hashCode())));
        Path plainFile = Files.writeString(work.resolve("plain-file"), "not a folder");
        Files.createDirectories(scratch.resolve("multi-1.png")); // a folder where the 2nd image would go
        Path broken = c.breaker() == null ? null : MODELS.computeIfAbsent(c.name(), n -> brokenCopy(n, c.breaker()));
        List<String> args = c.args().stream().map(a -> a.replace("{T}", TINY.toString()).replace("{D}", scratch.toString())
                .replace("{F}", plainFile.toString()).replace("{M}", broken == null ? "" : broken.toString())).toList();
        Run r = run(args.toArray(String[]::new));
        assertNotEquals(0, r.code, c.name() + ": expected a refusal\n" + r.err);
        String err = r.err.toLowerCase(Locale.ROOT);
        for (String e : c.expect()) {
            assertTrue(err.contains(e.toLowerCase(Locale.ROOT)), c.name() + ": stderr should name '" + e + "':\n" + r.err);
        }
        assertFalse(r.err.contains("\tat ") || r.err.contains("Exception:"), c.name() + ": no stack trace, a message:\n" + r.err);
        try (Stream<Path> s = Files.walk(scratch)) {
            List<Path> images = s.filter(Files::isRegularFile).toList();
            assertEquals(List.of(), images, c.name() + ": nothing may be written");
        }
        if (c.inspect() > 0) {
            Run i = c.inspect() == 2 ? run("inspect", broken.toString(), "--deep") : run("inspect", broken.toString());
            assertNotEquals(0, i.code, c.name() + ": inspect must report the problem\n" + i.out + i.err);
            String all = (i.out + i.err).toLowerCase(Locale.ROOT);
            for (String e : c.inspectExpect()) {
                assertTrue(all.contains(e.toLowerCase(Locale.ROOT)), c.name() + ": inspect should name '" + e + "':\n" + i.out + i.err);
            }
        }
    }

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PixArtCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    // ---- breaking a copy of the tiny model ----

    static Path brokenCopy(String name, Consumer<Path> breaker) {
        try {
            Path dst = work.resolve("model-" + Math.abs(name.hashCode()));
            try (Stream<Path> s = Files.walk(TINY)) {
                for (Path p : s.toList()) {
                    Path t = dst.resolve(TINY.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(t);
                    } else {
                        Files.copy(p, t);
                    }
                }
            }
            breaker.accept(dst);
            return dst;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void editJson(Path m, String file, Consumer<ObjectNode> edit) {
        ObjectNode n = (ObjectNode) Json.read(m.resolve(file));
        edit.accept(n);
        // NaN/Infinity as the bare literals Python's json module writes, not as strings
        write(m, file, Json.write(n).replace("\"NaN\"", "NaN").replace("\"Infinity\"", "Infinity").replace("\"-Infinity\"", "-Infinity"));
    }

    static void replaceFolder(Path m, String component, Path from) {
        deleteTree(m.resolve(component));
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = m.resolve(component).resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path m, String file, String text) {
        try {
            Files.writeString(m.resolve(file), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path m, String file) {
        try {
            Files.delete(m.resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path p) {
        if (p == null || !Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void truncate(Path m, String file, double keep) {
        try {
            byte[] b = Files.readAllBytes(m.resolve(file));
            Files.write(m.resolve(file), Arrays.copyOf(b, (int) (b.length * keep)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void overwrite(Path m, String file, int at, byte[] bytes) {
        try {
            byte[] b = Files.readAllBytes(m.resolve(file));
            System.arraycopy(bytes, 0, b, at, bytes.length);
            Files.write(m.resolve(file), b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's header JSON and data section. */
    record Parts(ObjectNode header, byte[] data) {}

    static Parts parts(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode h = (ObjectNode) Json.parse(new String(b, 8, (int) n, StandardCharsets.UTF_8));
        return new Parts(h, Arrays.copyOfRange(b, 8 + (int) n, b.length));
    }

    static void writeParts(Path file, ObjectNode header, byte[] data) throws IOException {
        byte[] h = Json.MAPPER.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(data);
        Files.write(file, out.array());
    }

    static void editHeader(Path m, String file, Consumer<ObjectNode> edit) {
        try {
            Parts p = parts(m.resolve(file));
            edit.accept(p.header());
            writeParts(m.resolve(file), p.header(), p.data());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sets the first value of a float32 tensor. */
    static void poison(Path m, String file, String tensor, float value) {
        try {
            Parts p = parts(m.resolve(file));
            long begin = p.header().get(tensor).get("data_offsets").get(0).asLong();
            ByteBuffer.wrap(p.data()).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) begin, value);
            writeParts(m.resolve(file), p.header(), p.data());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits the text encoder into two shards with an index, broken in the named way. */
    static void shard(Path m, String how) {
        try {
            Path dir = m.resolve("text_encoder");
            Parts p = parts(dir.resolve("model.safetensors"));
            List<String> names = new ArrayList<>();
            p.header().fieldNames().forEachRemaining(n -> {
                if (!n.equals("__metadata__")) {
                    names.add(n);
                }
            });
            int half = names.size() / 2;
            ObjectNode map = Json.MAPPER.createObjectNode();
            String[] files = {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
            for (int s = 0; s < 2; s++) {
                List<String> mine = new ArrayList<>(s == 0 ? names.subList(0, half) : names.subList(half, names.size()));
                if (how.equals("twice") && s == 1) {
                    mine.add(names.get(0)); // the first shard's first tensor again
                }
                writeShard(dir.resolve(files[s]), p, mine);
                for (String n : mine) {
                    if (!(how.equals("twice") && s == 1 && n.equals(names.get(0)))) {
                        map.put(n, files[s]);
                    }
                }
            }
            if (how.equals("unlisted")) {
                map.remove(names.get(names.size() - 1));
            }
            if (how.equals("missing-shard")) {
                Files.delete(dir.resolve(files[1]));
            }
            if (how.equals("empty-map")) {
                map.removeAll();
            }
            if (how.equals("escape")) {
                map.put(names.get(0), "../../transformer/diffusion_pytorch_model.safetensors");
            }
            ObjectNode index = Json.MAPPER.createObjectNode();
            index.putObject("metadata").put("total_size", p.data().length);
            index.set("weight_map", map);
            Files.writeString(dir.resolve("model.safetensors.index.json"), Json.write(index));
            Files.delete(dir.resolve("model.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void writeShard(Path file, Parts src, List<String> names) throws IOException {
        ObjectNode h = Json.MAPPER.createObjectNode();
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        for (String n : names) {
            JsonNode t = src.header().get(n);
            int b = (int) t.get("data_offsets").get(0).asLong();
            int e = (int) t.get("data_offsets").get(1).asLong();
            ObjectNode o = h.putObject(n);
            o.put("dtype", t.get("dtype").asText());
            o.set("shape", t.get("shape"));
            o.putArray("data_offsets").add(data.size()).add(data.size() + (e - b));
            data.write(src.data(), b, e - b);
        }
        writeParts(file, h, data.toByteArray());
    }

    static final Function<String, String> UNUSED = s -> s;
}

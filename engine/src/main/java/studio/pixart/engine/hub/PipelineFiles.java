package studio.pixart.engine.hub;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import studio.pixart.engine.model.PipelineFolder;

/**
 * Which files of a repository a PixArt pipeline needs: {@code model_index.json}, and in each
 * component folder its JSON files, the SentencePiece model and the {@code .safetensors} weights —
 * never {@code .bin}/{@code .pth} checkpoints, images or READMEs. Where a folder has weight variants
 * ({@code diffusion_pytorch_model.fp16.safetensors}, {@code model.fp16-00001-of-00002.safetensors},
 * {@code model.safetensors.index.fp16.json}), one set is taken: the asked variant if the folder has
 * it, else the full-precision files. A transformer-only repository may also keep its transformer at
 * the top level ({@code config.json} + weights).
 */
public final class PipelineFiles {
    /** The chosen files, the components the repository lacks, and whether the variant was found. */
    public record Selection(List<String> files, List<String> missingComponents, boolean variantFound) {}

    private static final Pattern WEIGHT_VARIANT = Pattern.compile("^[^.]+\\.([A-Za-z0-9_]+)(-\\d{5}-of-\\d{5})?\\.safetensors$");
    private static final Pattern INDEX_VARIANT_NEW = Pattern.compile("\\.safetensors\\.index\\.([A-Za-z0-9_]+)\\.json$");
    private static final Pattern INDEX_VARIANT_OLD = Pattern.compile("\\.([A-Za-z0-9_]+)\\.safetensors\\.index\\.json$");

    private PipelineFiles() {}

    /** The weight variant a file name carries ("fp16"), "" for full precision, null for non-weights. */
    static String weightVariant(String name) {
        Matcher m = INDEX_VARIANT_NEW.matcher(name);
        if (m.find()) {
            return m.group(1);
        }
        m = INDEX_VARIANT_OLD.matcher(name);
        if (m.find()) {
            return m.group(1);
        }
        if (name.endsWith(".safetensors.index.json")) {
            return "";
        }
        if (!name.endsWith(".safetensors")) {
            return null;
        }
        m = WEIGHT_VARIANT.matcher(name);
        return m.matches() ? m.group(1) : "";
    }

    private static boolean isSideFile(String name) {
        return name.endsWith(".json") || name.endsWith(".model") || name.endsWith(".txt");
    }

    /**
     * @param variant  "fp16", "bf16" … or null/"" for full precision
     * @param only     components to take (null: every component; used for a base repository)
     */
    public static Selection select(List<String> repoFiles, String variant, Set<String> only) {
        String want = variant == null ? "" : variant;
        boolean hasIndex = repoFiles.contains("model_index.json");
        Map<String, List<String>> byFolder = new LinkedHashMap<>();
        for (String f : repoFiles) {
            int slash = f.indexOf('/');
            String folder = slash < 0 ? "" : f.substring(0, slash);
            if (f.indexOf('/', slash + 1) >= 0) {
                continue; // deeper than a component folder: not part of a pipeline
            }
            if (folder.isEmpty() ? !hasIndex || f.equals("model_index.json") : PipelineFolder.COMPONENTS.contains(folder)) {
                byFolder.computeIfAbsent(folder, k -> new ArrayList<>()).add(f);
            }
        }
        List<String> out = new ArrayList<>();
        boolean variantFound = false;
        Set<String> present = new LinkedHashSet<>();
        for (Map.Entry<String, List<String>> e : byFolder.entrySet()) {
            String folder = e.getKey();
            String component = folder.isEmpty() && !hasIndex ? "transformer" : folder;
            if (only != null && !only.contains(component)) {
                continue;
            }
            List<String> files = e.getValue();
            Set<String> variants = new LinkedHashSet<>();
            for (String f : files) {
                String v = weightVariant(name(f));
                if (v != null) {
                    variants.add(v);
                }
            }
            String pick = variants.contains(want) ? want : variants.contains("") ? "" : variants.stream().findFirst().orElse("");
            if (!want.isEmpty() && pick.equals(want)) {
                variantFound = true;
            }
            boolean any = false;
            for (String f : files) {
                String n = name(f);
                String v = weightVariant(n);
                if (v != null ? v.equals(pick) : isSideFile(n) && !isIgnoredTopLevel(folder, n, hasIndex)) {
                    out.add(f);
                    any |= v != null || !folder.isEmpty();
                }
            }
            if (any && !folder.isEmpty()) {
                present.add(folder);
            } else if (folder.isEmpty() && !hasIndex && !variants.isEmpty()) {
                present.add("transformer");
            }
        }
        List<String> missing = new ArrayList<>();
        for (String c : PipelineFolder.COMPONENTS) {
            if (!present.contains(c) && (only == null || only.contains(c))) {
                missing.add(c);
            }
        }
        return new Selection(List.copyOf(out), List.copyOf(missing), variantFound);
    }

    private static boolean isIgnoredTopLevel(String folder, String name, boolean hasIndex) {
        // a transformer-only repo keeps config.json at the top; other top-level JSON is not ours
        return folder.isEmpty() && !hasIndex && !name.equals("config.json");
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}

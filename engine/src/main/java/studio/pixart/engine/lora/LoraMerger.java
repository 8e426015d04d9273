package studio.pixart.engine.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import studio.pixart.engine.nd.Torch;
import studio.pixart.engine.transformer.PixArtTransformer;

/**
 * Keeps a set of LoRAs merged into one loaded transformer: W' = W + Σ s · scale · B·A on every
 * target Linear, computed in float32 and stored back in the transformer's dtype. Changing the set
 * first restores the previously merged modules exactly (their weights are read again from the
 * checkpoint), then merges the new set; there is never a second copy of the transformer, only
 * one merged weight per target module (a module's original is dropped when its merged weight
 * takes its place). Weights are swapped, never written in place (they may wrap read-only file
 * mappings). Every file is read and checked against the transformer before any weight changes.
 * Use on the thread that runs the transformer.
 */
public final class LoraMerger {
    /** One merged LoRA as recorded in history and image metadata. */
    public record Applied(String name, Path file, double strength, String sha256, LoraFile.Layout layout, int modules) {
        public String shortHash() {
            return sha256.substring(0, 12);
        }

        public Map<String, Object> toMetadata() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("file", file.toString());
            m.put("strength", strength);
            m.put("sha256", sha256);
            return m;
        }
    }

    private record CacheKey(Path path, long size, long modified) {}

    /** One LoRA's factors for a module and the strength it is merged at. */
    private record Term(LoraFile.Factors factors, double strength) {}

    private final PixArtTransformer transformer;
    private final Map<CacheKey, LoraFile> cache = new HashMap<>();
    private List<LoraSpec> currentSpecs = List.of();
    private List<LoraFile> currentFiles = List.of();
    private List<Applied> applied = List.of();

    public LoraMerger(PixArtTransformer transformer) {
        this.transformer = transformer;
    }

    /** The LoRAs merged now, in order. */
    public List<Applied> applied() {
        return applied;
    }

    /**
     * Makes the merged set exactly {@code specs} (an empty list restores the plain transformer).
     * Nothing changes when the set, the strengths and the files' contents are the same as now.
     *
     * @throws LoraException naming the file and module when a LoRA cannot be used; the
     *     transformer is then left as it was
     */
    public List<Applied> apply(List<LoraSpec> specs) {
        List<LoraSpec> wanted = specs == null ? List.of() : List.copyOf(specs);
        List<LoraFile> files = new ArrayList<>();
        for (LoraSpec s : wanted) {
            files.add(read(s.file()));
        }
        if (wanted.equals(currentSpecs) && sameContents(files, currentFiles)) {
            return applied;
        }
        Map<String, long[]> shapes = transformer.linearShapes();
        for (int i = 0; i < files.size(); i++) {
            files.set(i, files.get(i).resolveKohya(shapes.keySet()));
            check(files.get(i), shapes);
        }
        unmergeAll();
        List<Applied> now = new ArrayList<>();
        try {
            merge(files, wanted);
        } catch (RuntimeException | Error e) {
            // leave the plain transformer rather than a half-merged one
            Set<String> touched = new LinkedHashSet<>();
            files.forEach(f -> f.factors().forEach(x -> touched.add(x.module())));
            restore(touched, files, wanted);
            throw e;
        }
        for (int i = 0; i < files.size(); i++) {
            LoraFile f = files.get(i);
            now.add(new Applied(f.name(), wanted.get(i).file().toAbsolutePath().normalize(), wanted.get(i).strength(),
                    f.sha256(), f.layout(),
                    f.factors().size()));
        }
        currentSpecs = wanted;
        currentFiles = List.copyOf(files);
        applied = List.copyOf(now);
        return applied;
    }

    private static boolean sameContents(List<LoraFile> a, List<LoraFile> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).sha256().equals(b.get(i).sha256())) {
                return false;
            }
        }
        return true;
    }

    /** Reads a LoRA, reusing the parsed file while its size and modification time stay the same. */
    private LoraFile read(Path file) {
        Path weights = Files.isDirectory(file) ? file.resolve("adapter_model.safetensors") : file;
        CacheKey key;
        try {
            key = new CacheKey(file.toAbsolutePath().normalize(), Files.size(weights),
                    Files.getLastModifiedTime(weights).toMillis());
        } catch (IOException e) {
            return LoraFile.read(file); // reports the missing or unreadable file
        }
        LoraFile f = cache.get(key);
        if (f == null) {
            f = LoraFile.read(file);
            cache.clear(); // keep only what the last sets used: parsed factors can be large
            cache.put(key, f);
            for (LoraFile c : currentFiles) {
                cache.putIfAbsent(keyOf(c), c);
            }
        }
        return f;
    }

    private static CacheKey keyOf(LoraFile f) {
        Path p = f.path();
        Path weights = Files.isDirectory(p) ? p.resolve("adapter_model.safetensors") : p;
        try {
            return new CacheKey(p.toAbsolutePath().normalize(), Files.size(weights), Files.getLastModifiedTime(weights).toMillis());
        } catch (IOException e) {
            return new CacheKey(p.toAbsolutePath().normalize(), -1, -1);
        }
    }

    /**
     * Checks LoRA files against a transformer checkpoint before anything is loaded: every file
     * readable in a known layout, every target an existing Linear of the right size.
     */
    public static void checkBeforeLoading(List<LoraSpec> specs, Path transformerDir) {
        if (specs == null || specs.isEmpty()) {
            return;
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (studio.pixart.engine.io.Checkpoint ckpt = studio.pixart.engine.io.Checkpoint.open(transformerDir)) {
            for (String name : ckpt.names()) {
                long[] s = ckpt.shape(name);
                if (name.endsWith(".weight") && s.length == 2) {
                    shapes.put(name.substring(0, name.length() - ".weight".length()), s);
                }
            }
        }
        for (LoraSpec spec : specs) {
            check(LoraFile.read(spec.file()).resolveKohya(shapes.keySet()), shapes);
        }
    }

    /** Every target must exist in the transformer with the LoRA's in/out sizes. */
    static void check(LoraFile f, Map<String, long[]> shapes) {
        if (f.factors().isEmpty()) {
            throw new LoraException(f.path(), "holds no LoRA modules");
        }
        for (LoraFile.Factors x : f.factors()) {
            long[] s = shapes.get(x.module());
            if (s == null) {
                String hint = f.layout() == LoraFile.Layout.KOHYA ? " (kohya name '" + x.key() + "')" : "";
                throw new LoraException(f.path(), "module '" + x.module() + "'" + hint + " does not exist in this "
                        + "transformer (its Linear modules are named like transformer_blocks.0.attn1.to_q); the LoRA "
                        + "is probably meant for another model");
            }
            if (s[0] != x.out() || s[1] != x.in()) {
                throw new LoraException(f.path(), "module '" + x.module() + "' is " + s[0] + " × " + s[1]
                        + " (out × in) in this transformer but the LoRA's B·A is " + x.out() + " × " + x.in()
                        + " (rank " + x.rank() + "): it was trained for a model of another size");
            }
        }
    }

    private void merge(List<LoraFile> files, List<LoraSpec> specs) {
        // group the factors by module so each weight is rebuilt once, with every LoRA's delta
        Map<String, List<Term>> byModule = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            double s = specs.get(i).strength();
            for (LoraFile.Factors x : files.get(i).factors()) {
                byModule.computeIfAbsent(x.module(), k -> new ArrayList<>()).add(new Term(x, s));
            }
        }
        for (Map.Entry<String, List<Term>> e : byModule.entrySet()) {
            try (NDManager tmp = Torch.newManager()) {
                NDArray w = transformer.linearWeight(e.getKey());
                // (W + d1) + d2 … in float32; every op starts from a tmp-owned array (results belong to
                // the first operand's manager, and the weights' manager is capped)
                NDArray acc = null;
                for (Term term : e.getValue()) {
                    NDArray d = delta(tmp, term.factors(), term.strength(), w);
                    acc = acc == null ? d.add(w) : acc.add(d); // float16 weights are promoted to float32

                }
                transformer.replaceLinearWeight(e.getKey(), acc);
            }
        }
    }

    /** s · scale · B·A in float32 on the weight's device. */
    private static NDArray delta(NDManager tmp, LoraFile.Factors x, double strength, NDArray like) {
        NDArray b = tmp.create(x.up(), new Shape(x.out(), x.rank())).toDevice(like.getDevice(), false);
        NDArray a = tmp.create(x.down(), new Shape(x.rank(), x.in())).toDevice(like.getDevice(), false);
        return b.matMul(a).mul((float) (strength * x.scale()));
    }

    /** Restores every module of the merged set. */
    private void unmergeAll() {
        Set<String> modules = new LinkedHashSet<>();
        currentFiles.forEach(f -> f.factors().forEach(x -> modules.add(x.module())));
        restore(modules, currentFiles, currentSpecs);
        currentSpecs = List.of();
        currentFiles = List.of();
        applied = List.of();
    }

    /**
     * Exact: the checkpoint's weights again. A transformer with random weights (benchmarks) has no
     * file; there the deltas are subtracted again in float32 (exact up to rounding).
     */
    private void restore(Set<String> modules, List<LoraFile> files, List<LoraSpec> specs) {
        if (modules.isEmpty()) {
            return;
        }
        if (transformer.canRestoreWeights()) {
            transformer.restoreLinearWeights(modules);
            return;
        }
        for (int i = 0; i < files.size(); i++) {
            for (LoraFile.Factors x : files.get(i).factors()) {
                if (!modules.contains(x.module())) {
                    continue;
                }
                try (NDManager tmp = Torch.newManager()) {
                    NDArray w = transformer.linearWeight(x.module());
                    transformer.replaceLinearWeight(x.module(), delta(tmp, x, specs.get(i).strength(), w).neg().add(w));
                }
            }
        }
    }
}

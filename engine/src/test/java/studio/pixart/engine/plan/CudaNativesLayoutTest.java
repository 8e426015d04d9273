package studio.pixart.engine.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The CUDA package's libtorch layout, checked without a GPU and without the 2.46 GB natives jar:
 * the jar's file list and descriptor are committed (installer/cuda/, made from the real jar) and
 * compared with what DJL 0.33's LibUtils/Platform compute and what installer/pom.xml builds, so a
 * wrong name or folder fails here and not on a user's machine. When the real jar is in ~/.m2 the
 * committed list is verified against it.
 */
class CudaNativesLayoutTest {
    static final Path INSTALLER = Path.of("..", "installer");
    static final Path LIST = INSTALLER.resolve("cuda/pytorch-native-cu124-2.5.1-linux-x86_64.list");
    static final Path DESCRIPTOR = INSTALLER.resolve("cuda/pytorch-native-cu124-2.5.1.properties");
    static final Path REAL_JAR = Path.of(System.getProperty("user.home"),
            ".m2/repository/ai/djl/pytorch/pytorch-native-cu124/2.5.1/pytorch-native-cu124-2.5.1-linux-x86_64.jar");

    /** name → size of every file in the jar, from the committed list. */
    static Map<String, Long> listing() throws IOException {
        Map<String, Long> m = new TreeMap<>();
        for (String line : Files.readAllLines(LIST)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] p = line.trim().split(" ", 2);
            m.put(p[1], Long.parseLong(p[0]));
        }
        return m;
    }

    static Properties props(String text) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(text));
        return p;
    }

    static Properties classpathProps(String resource) throws IOException {
        try (InputStream in = CudaNativesLayoutTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, resource + " on the class path");
            Properties p = new Properties();
            p.load(in);
            return p;
        }
    }

    static String pom(Path p) throws IOException {
        return Files.readString(p);
    }

    @Test
    void everyLibraryTheDescriptorNamesIsInTheFolderLibUtilsLoadsFrom() throws IOException {
        Properties d = props(Files.readString(DESCRIPTOR));
        assertEquals("cu124", d.getProperty("flavor"));
        assertEquals("linux-x86_64", d.getProperty("classifier"));
        Map<String, Long> files = listing();
        String folder = "pytorch/" + d.getProperty("flavor") + "/" + d.getProperty("classifier") + "/";
        List<String> libraries = Arrays.asList(d.getProperty("libraries").split(","));
        for (String lib : libraries) {
            assertTrue(files.containsKey(folder + lib), folder + lib + " is named by the descriptor but not in the jar");
        }
        // the installer copies the whole folder and DJL's loadLibTorch walks it: nothing unnamed there
        files.keySet().stream().filter(f -> f.startsWith(folder))
                .forEach(f -> assertTrue(libraries.contains(f.substring(folder.length())), f + " is not in the descriptor"));
        assertTrue(libraries.contains("libtorch.so"), "LibUtils looks for libtorch.so");
        // LibUtils appends -precxx11 to the flavour (so to the folder name) when libstdc++ is bundled
        assertFalse(libraries.contains("libstdc++.so.6"));
        assertEquals(Files.size(DESCRIPTOR), files.get("native/lib/pytorch.properties"), "the committed descriptor is the jar's");
    }

    @Test
    void folderAndJniNamesAreWhatDjlComputes() throws IOException {
        Properties d = props(Files.readString(DESCRIPTOR));
        Properties engine = classpathProps("/pytorch-engine.properties");
        String djl = engine.getProperty("djl_version");
        String torch = engine.getProperty("pytorch_version");
        String parent = pom(Path.of("..", "pom.xml"));
        assertTrue(parent.contains("<djl.version>" + djl + "</djl.version>"), "parent POM's djl.version is DJL's " + djl);
        assertTrue(parent.contains("<pytorch.version>" + torch + "</pytorch.version>"), "parent POM's pytorch.version is " + torch);
        assertTrue(d.getProperty("version").startsWith(torch + "-"), "the natives are PyTorch " + torch);

        String installer = pom(INSTALLER.resolve("pom.xml"));
        // DJL's cache: ENGINE_CACHE_DIR/pytorch/VERSION-FLAVOR-CLASSIFIER/ (copyNativeLibraryFromClasspath), the JNI
        // library as DJLVERSION-libdjl_torch.so in it (findJniLibrary)
        assertTrue(installer.contains("-DENGINE_CACHE_DIR=$APPDIR/natives"));
        assertTrue(installer.contains("${installer.input}/natives/pytorch/${libtorch.version}-${libtorch.flavor}-${libtorch.classifier}"));
        assertTrue(installer.contains("tofile=\"${libtorch.dir}/${djl.version}-${installer.jni.lib}\""));
        assertTrue(installer.contains("<installer.jni.lib>libdjl_torch.so</installer.jni.lib>"));
        // where no GPU is seen, Platform falls back to the engine's own version and flavour "cpu"
        assertTrue(installer.contains("${installer.input}/natives/pytorch/${pytorch.version}-cpu-${cpu.classifier}"));
        assertTrue(installer.contains("tofile=\"${cpu.dir}/${djl.version}-${installer.jni.lib}\""));
        // both JNI builds are in the pytorch-jni jar, where the installer takes them from
        for (String flavor : List.of(d.getProperty("flavor"), "cpu")) {
            String jni = "/jnilib/" + d.getProperty("classifier") + "/" + flavor + "/libdjl_torch.so";
            assertNotNull(CudaNativesLayoutTest.class.getResource(jni), jni);
        }
        String jniVersion = classpathProps("/jnilib/pytorch.properties").getProperty("jni_version");
        assertTrue(jniVersion.startsWith(torch + "-" + djl), "LibUtils accepts jni_version " + jniVersion);
    }

    @Test
    void theCudaRuntimeIsFoundUnderTheNameJnaLoads() throws IOException {
        Map<String, Long> files = listing();
        Pattern cudart = Pattern.compile("pytorch/cu[0-9]+/linux-x86_64/libcudart-[0-9a-f]+\\.so\\.12");
        long matches = files.keySet().stream().filter(f -> cudart.matcher(f).matches()).count();
        assertEquals(1, matches, "exactly one CUDA runtime for the merge mapper to copy to libcudart.so");
        String installer = pom(INSTALLER.resolve("pom.xml"));
        assertTrue(installer.contains("-Djna.library.path=$APPDIR/natives/cudart"));
        Matcher m = Pattern.compile("includes=\"cu\\*/\\$\\{cpu.classifier}/libcudart-\\*\\.so\\.\\*\"").matcher(installer);
        assertTrue(m.find(), "installer copies libcudart-*.so.* to natives/cudart");
        assertTrue(installer.contains("<mapper type=\"merge\" to=\"libcudart.so\"/>"));
    }

    @Test
    void theCommittedListIsTheRealJars() throws IOException {
        Assumptions.assumeTrue(Files.isRegularFile(REAL_JAR), "the 2.46 GB CUDA natives jar is not in ~/.m2 "
                + "(mvn dependency:get -Dartifact=ai.djl.pytorch:pytorch-native-cu124:2.5.1:jar:linux-x86_64): list not re-checked");
        Map<String, Long> real = new TreeMap<>();
        try (ZipFile z = new ZipFile(REAL_JAR.toFile())) {
            Enumeration<? extends ZipEntry> e = z.entries();
            while (e.hasMoreElements()) {
                ZipEntry x = e.nextElement();
                if (!x.isDirectory()) {
                    real.put(x.getName(), x.getSize());
                }
            }
            try (InputStream in = z.getInputStream(z.getEntry("native/lib/pytorch.properties"))) {
                assertEquals(Files.readString(DESCRIPTOR), new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        assertEquals(real, listing());
    }
}

package studio.pixart.app;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The studio's version, from the build (version.properties, filled in by Maven). */
public final class StudioVersion {
    private StudioVersion() {}

    public static String get() {
        try (InputStream in = StudioVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.isBlank() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through to the manifest
        }
        String v = StudioVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}

package studio.pixart.app;

import javafx.application.Application;

/**
 * Plain main class (not the Application subclass), so the studio runs from the class path, where
 * DJL has to be:
 * <pre>
 *   java -jar pixart-studio.jar                     the studio
 *   java -jar pixart-studio.jar --self-test DIR     open the window, load DIR, generate one small image, exit 0 (1 on failure)
 * </pre>
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) {
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--self-test" -> {
                    if (i + 1 >= args.length) {
                        System.err.println("--self-test needs a model folder or hub id");
                        System.exit(2);
                    }
                    StudioApp.selfTestModel = args[++i];
                }
                case "--help", "-h" -> {
                    System.out.println("""
                            PixArt Studio
                              (no arguments)          open the studio
                              --self-test MODEL       open the window, load MODEL (folder or hub id),
                                                      generate one small image and exit 0 (non-zero on failure)
                              -Dpixart.studio.data=DIR  keep history and settings in DIR""");
                    return;
                }
                default -> {
                    System.err.println("unknown argument '" + args[i] + "' (try --help)");
                    System.exit(2);
                }
            }
        }
        Application.launch(StudioApp.class, new String[0]);
    }
}

package studio.pixart.engine.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import studio.pixart.engine.pipeline.GenerationMetadata;

/** The {@code pixart} command line: inspect models, tokenize, encode, generate, benchmark, download. */
@Command(name = "pixart", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = PixArtCli.Version.class,
        description = "PixArt Studio engine: local text-to-image with PixArt-Σ / PixArt-α.",
        subcommands = {InspectCommand.class, TokenizeCommand.class, EncodeCommand.class, GenerateCommand.class,
                PosterCommand.class, BenchCommand.class, DownloadCommand.class, RehearseCommand.class})
public final class PixArtCli {
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line; returns the exit code (0 = success). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new PixArtCli());
        cl.setOut(out);
        cl.setErr(err);
        // A prompt is text: "@file" must not be replaced by the file's contents (picocli's default).
        cl.setExpandAtFiles(false);
        // the last of a repeated option wins, as in most command lines (a script appending an override)
        cl.setOverwrittenOptionsAllowed(true);
        cl.setParameterExceptionHandler((ex, params) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("error: " + ex.getMessage());
            cmd.getErr().println("see '" + cmd.getCommandSpec().qualifiedName() + " --help'");
            cmd.getErr().flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof CliChecks.UsageError) {
                cmd.getErr().println("error: " + ex.getMessage());
                cmd.getErr().println("see '" + cmd.getCommandSpec().qualifiedName() + " --help'");
                cmd.getErr().flush();
                return 2;
            }
            cmd.getErr().println("error: " + describe(ex));
            if (System.getenv("PIXART_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return 1;
        });
        return cl.execute(args);
    }

    static String describe(Throwable ex) {
        String m = ex.getMessage();
        if (ex instanceof OutOfMemoryError) {
            return "out of memory — try a smaller size, fewer images, or --dtype float16 on a GPU";
        }
        return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"pixart-studio " + GenerationMetadata.ENGINE_VERSION
                    + " (DJL 0.33.0, PyTorch 2.5.1)"};
        }
    }
}

package dev.airouter.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The airouter command line: {@code dev} (backend + router + frontend dev server), {@code backend}
 * (backend + router), {@code status} (ask a running backend).
 *
 * <p>Exit codes: 0 stopped by the user (or healthy, for {@code status}); 1 a part failed or died
 * (degraded, for {@code status}); 2 usage error; 3 ({@code status}) backend not reachable.
 */
@Command(name = "launcher",
        mixinStandardHelpOptions = true,
        versionProvider = Launcher.Version.class,
        description = "Run the airouter chat product: backend, AI router and frontend dev server.",
        subcommands = {DevCommand.class, BackendCommand.class, StatusCommand.class, ReloadCommand.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by the user", "1:a part failed or died", "2:usage error"})
public final class Launcher implements Runnable {
    /** Exit code when a part failed or died. */
    public static final int FAILED = 1;
    /** Exit code for a usage error. */
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Created by picocli. */
    public Launcher() {}

    /**
     * Runs the launcher and exits the JVM with its exit code.
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        Logging.configureEarly(args);
        System.exit(execute(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8)));
    }

    /**
     * Runs the launcher without exiting the JVM (for tests and embedding).
     *
     * @param args command-line arguments
     * @param out standard output
     * @param err standard error
     * @return the exit code
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Launcher());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExitCodeExceptionMapper(e -> FAILED);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("error: " + ex.getMessage());
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, c.getErr())) {
                c.getErr().println("Run '" + c.getCommandSpec().qualifiedName() + " --help' for the options.");
            }
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> {
            c.getErr().println("error: " + ex.getMessage());
            return FAILED;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: use dev, backend or status");
    }

    /** {@code --version}: the project version and the git commit it was built from. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            String version = Launcher.class.getPackage().getImplementationVersion();
            String commit = "unknown";
            try (InputStream in = Launcher.class.getResourceAsStream("git-commit.txt")) {
                if (in != null) {
                    commit = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
                }
            }
            return new String[] {"airouter launcher " + (version != null ? version : "(version unknown: not run from the built jar)")
                    + " (commit " + commit + ")", "Java " + Runtime.version() + ", " + System.getProperty("os.name")};
        }
    }
}

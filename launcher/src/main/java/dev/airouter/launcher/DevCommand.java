package dev.airouter.launcher;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dev}: backend + router + the frontend dev server; Ctrl+C once stops everything. */
@Command(name = "dev", mixinStandardHelpOptions = true, versionProvider = Launcher.Version.class,
        description = {"Start the backend (in-process), the AI router and the frontend dev server.",
            "Ctrl+C once stops everything (exit 0); if the frontend exits or every router FAILS, everything stops (exit 1).",
            "Saving a file of the router reloads it without a gap (--no-watch to keep it as it is)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by the user", "1:a part failed or died", "2:usage error"})
final class DevCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    RunOptions options;

    @Option(names = "--frontend-port", defaultValue = "${env:AIROUTER_FRONTEND_PORT:-3000}", paramLabel = "PORT",
            description = "Frontend dev server port, 0 = any free port (env AIROUTER_FRONTEND_PORT; default ${DEFAULT-VALUE}).")
    int frontendPort;

    @Option(names = "--frontend-dir", defaultValue = "${env:AIROUTER_FRONTEND_DIR:-frontend}", paramLabel = "DIR",
            description = "The Vite frontend (env AIROUTER_FRONTEND_DIR; default ${DEFAULT-VALUE}).")
    Path frontendDir;

    @Option(names = "--no-frontend", defaultValue = "${env:AIROUTER_NO_FRONTEND:-false}",
            description = "Do not start the frontend dev server (env AIROUTER_NO_FRONTEND).")
    boolean noFrontend;

    @Option(names = "--no-watch", defaultValue = "${env:AIROUTER_NO_WATCH:-false}",
            description = "Do not reload the router when a file of its source tree is saved (env AIROUTER_NO_WATCH).")
    boolean noWatch;

    @Override
    public Integer call() throws InterruptedException {
        Runner.Frontend frontend = noFrontend ? null : new Runner.Frontend(frontendPort, frontendDir);
        return new Runner(options, frontend, true, !noWatch, spec, Console.system()).run();
    }
}

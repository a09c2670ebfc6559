package dev.airouter.launcher;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code backend}: backend + router only, the production shape. */
@Command(name = "backend", mixinStandardHelpOptions = true, versionProvider = Launcher.Version.class,
        description = {"Start the backend and the AI router (no frontend): the production shape.",
            "Ctrl+C or SIGTERM stops both (exit 0); SIGHUP reloads the routers without a gap;",
            "when every router FAILS the backend stops (exit 1)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by the user", "1:a part failed or died", "2:usage error"})
final class BackendCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    RunOptions options;

    @CommandLine.Option(names = "--watch", defaultValue = "${env:AIROUTER_WATCH:-false}",
            description = "Reload the router when a file of its source tree is saved (env AIROUTER_WATCH).")
    boolean watch;

    @Override
    public Integer call() throws InterruptedException {
        return new Runner(options, null, false, watch, spec, Console.system()).run();
    }
}

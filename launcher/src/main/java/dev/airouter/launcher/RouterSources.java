package dev.airouter.launcher;

import dev.airouter.backend.BundledRouter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the python-router sources: {@code python-router/} beside the working directory (running
 * from the repository), else the copy bundled in the jar ({@link BundledRouter}: extracted once to
 * {@code $XDG_CACHE_HOME/airouter/python-router-<hash>}, keyed by a hash of the content so a new jar
 * never runs stale sources).
 */
final class RouterSources {
    private RouterSources() {}

    static Path locate() {
        Path local = Path.of("python-router");
        if (Files.isRegularFile(local.resolve("ai_router").resolve("__main__.py"))) {
            return local.toAbsolutePath();
        }
        return BundledRouter.extract().orElseThrow(() -> new IllegalStateException(
                "the python-router sources are neither in ./python-router nor bundled in this jar;"
                        + " run from the repository root, or use --router-url or --router-command"));
    }

    /** @return whether this router directory is the repository's {@code python-router/}, not the jar's copy */
    static boolean isRepositoryCopy(Path routerDir) {
        return routerDir.toAbsolutePath().normalize().equals(Path.of("python-router").toAbsolutePath().normalize());
    }
}

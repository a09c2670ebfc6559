package dev.airouter.backend;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a router reload did: the generation that serves now instead of the one before, how long the
 * whole reload took (the new routers' start, the old ones' drain and stop), and the routers now.
 *
 * @param fromGeneration the generation that was replaced
 * @param toGeneration the generation that serves now
 * @param took how long the reload took
 * @param routers the URLs of the routers that serve now
 */
public record ReloadResult(long fromGeneration, long toGeneration, Duration took, List<URI> routers) {
    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component is null
     */
    public ReloadResult {
        Objects.requireNonNull(took, "took");
        routers = List.copyOf(routers);
    }
}

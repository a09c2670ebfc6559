package dev.airouter.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * Which airouter backend spawned a router, as the router itself says in {@code GET /health}:
 * {@code "spawned_by": {"instance_id": "k3x9q2m1ab", "pid": 4242}}.
 *
 * <p>Why: a second backend on the same machine probes the router port for a router to adopt, and
 * must not take over a router that another backend spawned and supervises (that backend restarts,
 * reloads and stops it under the adopter's feet). Each backend hands the routers it spawns its
 * instance id and pid in {@link #INSTANCE_VARIABLE} and {@link #PID_VARIABLE}; the bundled router
 * reports them, and a router started by hand reports {@code null}, so it stays adoptable. A
 * {@code routerCommand} router is recognised only if it reports the field the same way.
 *
 * @param instanceId the spawning backend's instance id
 * @param pid the spawning backend's process id
 */
record SpawnedBy(String instanceId, long pid) {
    /** The environment variable that carries the spawning backend's instance id. */
    static final String INSTANCE_VARIABLE = "AIROUTER_SPAWNED_BY";
    /** The environment variable that carries the spawning backend's pid. */
    static final String PID_VARIABLE = "AIROUTER_SPAWNER_PID";

    /** The variables a router spawned by this process, for the backend {@code instanceId}, gets. */
    static Map<String, String> environment(String instanceId) {
        return Map.of(INSTANCE_VARIABLE, instanceId, PID_VARIABLE, Long.toString(ProcessHandle.current().pid()));
    }

    /**
     * Reads a health answer's {@code spawned_by}.
     *
     * @return who spawned the router; empty when the field is missing, {@code null}, or the body is
     *     not JSON (a router started by hand, or one that does not say)
     */
    static Optional<SpawnedBy> in(String healthBody, ObjectMapper mapper) {
        JsonNode node;
        try {
            node = mapper.readTree(healthBody).path("spawned_by");
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!node.isObject()) {
            return Optional.empty();
        }
        return Optional.of(new SpawnedBy(node.path("instance_id").asText("?"), node.path("pid").asLong(-1)));
    }

    /** Whether the spawning backend's process still runs (on this machine). */
    boolean isAlive() {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** E.g. {@code airouter instance k3x9q2m1ab (pid 4242, running)}. */
    String describe() {
        return "airouter instance " + instanceId + " (pid " + (pid > 0 ? Long.toString(pid) : "unknown")
                + (isAlive() ? ", running" : ", no longer running") + ")";
    }
}

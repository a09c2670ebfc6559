package dev.airouter.backend;

/**
 * The backend's endpoints, one row each: the single source of its routing, of the 404 text that
 * lists the API, and of the README's endpoint table ({@code ReadmeRoutesTest} fails when they differ).
 */
final class ApiRoutes {
    private ApiRoutes() {}

    /** The rows call the endpoint objects only when a request comes, so a test may pass {@code null} to read the table. */
    static RouteTable of(ChatEndpoints chat, StatusEndpoints status, AdminEndpoints admin, ProbeEndpoints probes,
            MetricsEndpoint metrics) {
        return RouteTable.builder()
                .post("/api/chat", call -> chat.chat(call))
                .post("/api/chat/stream", call -> chat.stream(call))
                .get("/api/sessions/{id:session}", call -> chat.getSession(call))
                .delete("/api/sessions/{id:session}", call -> chat.deleteSession(call))
                .post("/api/chat/clear", call -> chat.clear(call))
                .get("/api/chat/stats", call -> chat.stats(call))
                .monitor("/health", call -> status.health(call))
                .monitor("/api/status", call -> status.status(call))
                .monitor("/livez", call -> probes.livez(call))
                .monitor("/readyz", call -> probes.readyz(call))
                .monitor("/metrics", call -> metrics.scrape(call))
                .command(AdminEndpoints.RELOAD, call -> admin.startReload(call))
                .monitor(AdminEndpoints.RELOAD + "/{id}", call -> admin.reloadStatus(call))
                .build();
    }
}

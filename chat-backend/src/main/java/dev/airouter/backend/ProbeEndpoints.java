package dev.airouter.backend;

import dev.airouter.session.SessionStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Kubernetes-style probes, in plain text as the Kubernetes API server answers its own:
 * <ul>
 *   <li>{@code GET /livez}: the process is alive and its HTTP server answers; touches neither the
 *       router nor the store, so a restart is never triggered by their outage.</li>
 *   <li>{@code GET /readyz}: ready to serve chat — at least one router ready, the store answers, the
 *       backend not stopping —; {@code 200 ok}, else {@code 503} listing the failed checks and why.
 *       {@code ?verbose} lists every check ({@code [+]router ok}, {@code [-]store failed: …}).</li>
 * </ul>
 * On {@link ChatBackend#stop()}, {@code /readyz} turns 503 first; chat is still served for the
 * {@code shutdownDelay}, then the drain begins.
 */
final class ProbeEndpoints {
    private static final String TEXT = "text/plain; charset=utf-8";

    private final RouterHandle router;
    private final SessionStore store;
    private final AtomicBoolean stopping = new AtomicBoolean();

    ProbeEndpoints(RouterHandle router, SessionStore store) {
        this.router = router;
        this.store = store;
    }

    /** From now on {@code /readyz} answers 503 ("the backend is stopping"). */
    void stopping() {
        stopping.set(true);
    }

    private record Check(String name, String failure) {}

    Reply livez(Call call) {
        return report("livez", List.of(new Check("ping", null)), call.hasQueryParameter("verbose"));
    }

    Reply readyz(Call call) {
        List<Check> checks = new ArrayList<>();
        checks.add(new Check("shutdown", stopping.get() ? "the backend is stopping" : null));
        RouterStatus routers = router.status();
        checks.add(new Check("router", routers.isHealthy() ? null : "no router is ready (" + routers.replicas().size()
                + (routers.replicas().size() == 1 ? " router, state " + routers.state().name() : " routers") + ")"));
        boolean storeUp;
        try {
            storeUp = store.ping();
        } catch (RuntimeException e) {
            storeUp = false;
        }
        checks.add(new Check("store", storeUp ? null : "the session store (" + store.backend()
                + ") does not answer"));
        return report("readyz", checks, call.hasQueryParameter("verbose"));
    }

    private static Reply report(String probe, List<Check> checks, boolean verbose) {
        boolean ok = checks.stream().allMatch(c -> c.failure() == null);
        if (ok && !verbose) {
            return Reply.text(200, TEXT, "ok\n");
        }
        StringBuilder out = new StringBuilder();
        for (Check c : checks) {
            if (verbose || c.failure() != null) {
                out.append(c.failure() == null ? "[+]" + c.name() + " ok" : "[-]" + c.name() + " failed: " + c.failure())
                        .append('\n');
            }
        }
        out.append(probe).append(ok ? " check passed\n" : " check failed\n");
        return Reply.text(ok ? 200 : 503, TEXT, out.toString());
    }
}

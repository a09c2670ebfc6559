package dev.airouter.backend;

import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.lifecycle.ProcessEvent;
import dev.airouter.lifecycle.ProcessState;
import dev.airouter.lifecycle.ProcessStatus;
import dev.airouter.lifecycle.Replica;
import dev.airouter.lifecycle.ReplicaEvent;
import dev.airouter.lifecycle.ReplicaListener;
import java.net.URI;
import java.util.List;

/**
 * A router that was already running on the probed port when the backend started, adopted as a pool
 * of one: it is never spawned, restarted, reloaded or stopped (router-lifecycle leaves an adopted
 * process alone). It takes calls while its process is up; its state changes reach listeners as
 * replica events of index 0, generation 1.
 */
final class AdoptedRouter implements RouterHandle {
    private final ManagedProcess process;
    private final URI url;
    private final Slot slot;

    /**
     * @param config the process, whose health check feeds {@code info} (see {@link RouterSetup})
     */
    AdoptedRouter(ProcessConfig config, URI url, RouterInfo.Tracker info, Runnable onChange) {
        this.process = ManagedProcess.create(config);
        this.url = url;
        this.slot = new Slot(0, 1, url, info, () -> { });
        process.addListener(event -> onChange.run());
    }

    @Override
    public void start() throws InterruptedException {
        process.ensureRunning();
    }

    @Override
    public RouterStatus status() {
        ProcessStatus status = process.status();
        return RouterStatus.of(process.status().owned(), 1,
                List.of(new RouterStatus.ReplicaStatus(0, 1, url, status, status.isUp(), slot.inFlight())));
    }

    @Override
    public RouterInfo info() {
        return slot.info.current();
    }

    @Override
    public Slot acquire(Slot exclude) {
        ProcessStatus status = process.status();
        if (!status.isUp() || slot == exclude) {
            throw ApiError.unavailable("router unavailable", describe(status));
        }
        slot.begin();
        return slot;
    }

    static String describe(ProcessStatus status) {
        ProcessState state = status.state();
        switch (state) {
            case RESTARTING:
                return "the router is restarting (restart " + (status.restarts() + 1)
                        + status.lastExitCode().stream().mapToObj(c -> ", last exit code " + c).findFirst().orElse("")
                        + "); retry in a moment";
            case STARTING:
                return "the router is starting; retry in a moment";
            case FAILED:
                return "the router failed and is not being restarted; see " + status.logFile();
            case ADOPTED:
            case RUNNING:
                return "the router's connection failed; retry in a moment";
            default:
                return "the router is " + state + " (the backend is stopping or stopped)";
        }
    }

    @Override
    public void release(Slot s, boolean reached) {
        s.end();
    }

    @Override
    public RouterInfo refreshInfo(Slot s) {
        return slot.info.current();
    }

    @Override
    public ReloadResult reload() {
        throw new IllegalStateException(reloadRefusal().orElseThrow());
    }

    @Override
    public java.util.Optional<String> reloadRefusal() {
        return java.util.Optional.of("nothing to reload: the router was adopted (it was already running when the"
                + " backend started), so it is not this backend's to reload; restart it yourself, or let the backend"
                + " spawn its routers");
    }

    @Override
    public void addListener(ReplicaListener listener) {
        process.addListener(event -> {
            ReplicaEvent.Kind kind = kind(event);
            if (kind != null) {
                Replica replica = new Replica(0, 1, url.getPort(), url, event.status(), true, false);
                listener.onEvent(new ReplicaEvent(kind, replica, event.cause(), event.time()));
            }
        });
    }

    private static ReplicaEvent.Kind kind(ProcessEvent event) {
        switch (event.state()) {
            case RUNNING:
            case ADOPTED:
                return ReplicaEvent.Kind.READY;
            case RESTARTING:
                return ReplicaEvent.Kind.RESTARTING;
            case FAILED:
                return ReplicaEvent.Kind.DOWN;
            case STOPPED:
                return ReplicaEvent.Kind.GONE;
            default:
                return null;
        }
    }

    @Override
    public void close() {
        process.close();
    }
}

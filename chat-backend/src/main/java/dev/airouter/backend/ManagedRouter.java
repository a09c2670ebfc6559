package dev.airouter.backend;

import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.lifecycle.ProcessListener;
import dev.airouter.lifecycle.ProcessState;
import dev.airouter.lifecycle.ProcessStatus;
import java.net.URI;

/**
 * A router supervised by router-lifecycle: adopted when a healthy one already answers on the port,
 * else spawned, restarted on crash by the restart policy. Availability is read from the process
 * state, which router-lifecycle updates the moment the child exits, so a crash turns into 503s at
 * once instead of connection attempts against a dead port.
 */
final class ManagedRouter implements RouterHandle {
    private final ManagedProcess process;
    private final URI url;
    private final RouterInfo.Tracker info;

    /**
     * @param config the process, whose health check feeds {@code info} (see {@link RouterSetup})
     */
    ManagedRouter(ProcessConfig config, URI url, RouterInfo.Tracker info, Runnable onTransition) {
        this.process = ManagedProcess.create(config);
        this.url = url;
        this.info = info;
        process.addListener(event -> onTransition.run());
    }

    @Override
    public void start() throws InterruptedException {
        process.ensureRunning();
    }

    @Override
    public URI url() {
        return url;
    }

    @Override
    public ProcessStatus status() {
        return process.status();
    }

    @Override
    public RouterInfo info() {
        return info.current();
    }

    @Override
    public RouterInfo refreshInfo() {
        return info.current(); // the process cannot change without a restart, whose health answer is read
    }

    @Override
    public void checkAvailable() {
        ProcessStatus status = process.status();
        if (status.isUp()) {
            return;
        }
        throw ApiError.unavailable("router unavailable", describe(status));
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
            default:
                return "the router is " + state + " (the backend is stopping or stopped)";
        }
    }

    @Override
    public void connectionFailed() {
        // the process state is authoritative; router-lifecycle notices the exit by itself
    }

    @Override
    public void connected() {
        // nothing to track
    }

    @Override
    public void addListener(ProcessListener listener) {
        process.addListener(listener);
    }

    @Override
    public void close() {
        process.close();
    }
}

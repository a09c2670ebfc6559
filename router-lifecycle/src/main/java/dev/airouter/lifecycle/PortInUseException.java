package dev.airouter.lifecycle;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The port the process should listen on is held by something that is not the expected healthy
 * service, so nothing was spawned on top of it.
 */
public final class PortInUseException extends LifecycleException {
    private static final long serialVersionUID = 1L;
    private final int port;
    private final long holderPid;
    private final String holderCommand;

    PortInUseException(String message, int port, OptionalLong holderPid, Optional<String> holderCommand) {
        super(message);
        this.port = port;
        this.holderPid = holderPid.orElse(-1);
        this.holderCommand = holderCommand.orElse(null);
    }

    /** @return the busy port */
    public int port() {
        return port;
    }

    /** @return the pid holding the port, when it could be found (Linux, same user or root) */
    public OptionalLong holderPid() {
        return holderPid < 0 ? OptionalLong.empty() : OptionalLong.of(holderPid);
    }

    /** @return the command line of the process holding the port, when it could be found */
    public Optional<String> holderCommand() {
        return Optional.ofNullable(holderCommand);
    }
}

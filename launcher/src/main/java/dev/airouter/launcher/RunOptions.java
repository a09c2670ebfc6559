package dev.airouter.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by {@code dev} and {@code backend}; each also read from the environment (the CLI wins). */
final class RunOptions {
    @Option(names = "--host", defaultValue = "${env:AIROUTER_HOST:-127.0.0.1}", paramLabel = "HOST",
            description = "Address the backend listens on (env AIROUTER_HOST; default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--backend-port", defaultValue = "${env:AIROUTER_BACKEND_PORT:-3002}", paramLabel = "PORT",
            description = "Backend HTTP port, 0 = any free port (env AIROUTER_BACKEND_PORT; default ${DEFAULT-VALUE}).")
    int backendPort;

    @Option(names = "--router-port", defaultValue = "${env:AIROUTER_ROUTER_PORT}", paramLabel = "PORT",
            description = "Fix the port of a single spawned router (probed first for a router to adopt); 0 = free"
                    + " ports and no adoption (env AIROUTER_ROUTER_PORT; default: free ports, 8888 probed for adoption)."
                    + " A reload then stops the old router before the new one can listen.")
    Integer routerPort;

    @Option(names = "--routers", defaultValue = "${env:AIROUTER_ROUTERS:-1}", paramLabel = "N",
            description = "Router replicas to spawn, 1-64, each on a free port; chat goes to the ready ones by least"
                    + " outstanding requests, and a crash of one costs no request (env AIROUTER_ROUTERS; default ${DEFAULT-VALUE}).")
    int routers;

    @Option(names = "--router-command", defaultValue = "${env:AIROUTER_ROUTER_COMMAND}", paramLabel = "COMMAND",
            description = "Run this command line as the router instead of the bundled one (split like a shell, no shell);"
                    + " it gets ROUTER_PORT and is ready on any 2xx from /health (env AIROUTER_ROUTER_COMMAND).")
    String routerCommand;

    @Option(names = "--router-url", defaultValue = "${env:AIROUTER_ROUTER_URL}", paramLabel = "URL",
            description = "Use an already running router at this base URL; never spawn one (env AIROUTER_ROUTER_URL).")
    String routerUrl;

    @Option(names = "--router-max-history", defaultValue = "${env:AIROUTER_ROUTER_MAX_HISTORY}", paramLabel = "N",
            description = "History messages sent per turn to a router that does not advertise its limits in /health"
                    + " (--router-command, --router-url), 0-100000; the bundled router advertises its own"
                    + " (env AIROUTER_ROUTER_MAX_HISTORY; default 500).")
    Integer routerMaxHistory;

    @Option(names = "--max-message-chars", defaultValue = "${env:AIROUTER_MAX_MESSAGE_CHARS:-8000}", paramLabel = "N",
            description = "Longest chat message in characters (Unicode code points), 1-1000000; a router that takes"
                    + " less lowers it (env AIROUTER_MAX_MESSAGE_CHARS; default ${DEFAULT-VALUE}).")
    int maxMessageChars;

    @Option(names = "--redis-url", defaultValue = "${env:REDIS_URL:-redis://127.0.0.1:6379}", paramLabel = "URL",
            description = "Redis for sessions: redis://[:password@]host:port[/db], rediss:// (TLS),"
                    + " redis-sentinel://[password@]host1:26379,host2:26379/0#mastername,"
                    + " redis-cluster://[password@]host1:7000,host2:7001,…, or 'none' = in-memory."
                    + " An unreachable standalone redis:// URL = in-memory with a notice; a Sentinel or Cluster URL (or"
                    + " --redis-replica-acks above 0) never falls back: unreachable = start error"
                    + " (env REDIS_URL; default ${DEFAULT-VALUE}).")
    String redisUrl;

    @Option(names = "--redis-replica-acks", defaultValue = "${env:AIROUTER_REDIS_REPLICA_ACKS:-0}", paramLabel = "N",
            description = "Acknowledge a chat turn only once N Redis replicas have it (WAIT), 0-16; fewer within"
                    + " --redis-replica-ack-timeout = 503. 0 = off: a failover can lose the last moments' turns"
                    + " (env AIROUTER_REDIS_REPLICA_ACKS; default ${DEFAULT-VALUE}).")
    int redisReplicaAcks;

    @Option(names = "--redis-replica-ack-timeout", defaultValue = "${env:AIROUTER_REDIS_REPLICA_ACK_TIMEOUT:-250ms}",
            paramLabel = "DURATION", converter = Durations.class,
            description = "How long a turn waits for --redis-replica-acks replicas; shorter than the Redis command"
                    + " timeout (500ms) (env AIROUTER_REDIS_REPLICA_ACK_TIMEOUT; default ${DEFAULT-VALUE}).")
    Duration redisReplicaAckTimeout;

    @Option(names = "--history-limit", defaultValue = "${env:AIROUTER_HISTORY_LIMIT:-20}", paramLabel = "N",
            description = "Messages kept per session, 1-100000 (env AIROUTER_HISTORY_LIMIT; default ${DEFAULT-VALUE}).")
    int historyLimit;

    @Option(names = "--session-ttl", defaultValue = "${env:AIROUTER_SESSION_TTL:-30m}", paramLabel = "DURATION",
            converter = Durations.class,
            description = "Sliding session lifetime: 90s, 30m, 2h or PT30M (env AIROUTER_SESSION_TTL; default ${DEFAULT-VALUE}).")
    Duration sessionTtl;

    @Option(names = "--log-dir", defaultValue = "${env:AIROUTER_LOG_DIR:-logs}", paramLabel = "DIR",
            description = "Directory for every log (backend.log, ai-router.log, frontend.log) and the run file; one"
                    + " launcher per directory (env AIROUTER_LOG_DIR; default ${DEFAULT-VALUE}).")
    Path logDir;

    @Option(names = "--instance-id", defaultValue = "${env:AIROUTER_INSTANCE_ID}", paramLabel = "ID",
            description = "Name of this backend in /health, /api/status, the banner and the run file, 1-64 characters"
                    + " of [A-Za-z0-9._-] (env AIROUTER_INSTANCE_ID; default: a random id per run).")
    String instanceId;

    /** How the launcher and the router write their logs. */
    enum LogFormat { text, json }

    @Option(names = "--log-format", defaultValue = "${env:AIROUTER_LOG_FORMAT:-text}", paramLabel = "FORMAT",
            description = "text, or json: one JSON object per line in backend.log, ai-router.log and on the console,"
                    + " with the same field names in both logs (timestamp, level, logger, message, request_id,"
                    + " trace_id, session) (env AIROUTER_LOG_FORMAT; default ${DEFAULT-VALUE}).")
    LogFormat logFormat;

    @Option(names = "--shutdown-delay", defaultValue = "${env:AIROUTER_SHUTDOWN_DELAY:-0s}", paramLabel = "DURATION",
            converter = Durations.OrZero.class,
            description = "On stop, /readyz answers 503 at once but chat is served this long before the drain, so a"
                    + " load balancer stops sending first; a few seconds behind one (env AIROUTER_SHUTDOWN_DELAY;"
                    + " default ${DEFAULT-VALUE}).")
    Duration shutdownDelay;

    @Option(names = "--metrics", negatable = true, defaultValue = "${env:AIROUTER_METRICS:-true}", fallbackValue = "true",
            description = "Record meters and serve GET /metrics (Prometheus text; OpenMetrics on Accept);"
                    + " --no-metrics turns both off (env AIROUTER_METRICS=false; default on).")
    boolean metrics;

    @Option(names = "--cors-origin", split = ",", defaultValue = "${env:AIROUTER_CORS_ORIGIN}", paramLabel = "ORIGIN",
            description = "Allowed browser origin, repeatable (env AIROUTER_CORS_ORIGIN, comma-separated; default the dev frontend's).")
    List<String> corsOrigins;

    @Option(names = "--router-timeout", defaultValue = "${env:AIROUTER_ROUTER_TIMEOUT:-30s}", paramLabel = "DURATION",
            converter = Durations.class,
            description = "How long a chat request waits for the router before 504 (env AIROUTER_ROUTER_TIMEOUT; default ${DEFAULT-VALUE}).")
    Duration routerTimeout;

    @Option(names = "--max-body-bytes", defaultValue = "${env:AIROUTER_MAX_BODY_BYTES:-1048576}", paramLabel = "BYTES",
            description = "Largest request body accepted, else 413 (env AIROUTER_MAX_BODY_BYTES; default ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(names = "--watch-dir", defaultValue = "${env:AIROUTER_WATCH_DIR}", paramLabel = "DIR",
            description = "With --router-command: the router's source tree to watch for saves (env AIROUTER_WATCH_DIR)."
                    + " The bundled router's python-router/ is watched without it.")
    Path watchDir;

    @Option(names = "--drain-timeout", defaultValue = "${env:AIROUTER_DRAIN_TIMEOUT:-30s}", paramLabel = "DURATION",
            converter = Durations.class,
            description = "During a reload, how long the old routers' calls may take to finish before they are stopped"
                    + " anyway (env AIROUTER_DRAIN_TIMEOUT; default ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--stream-idle-timeout", defaultValue = "${env:AIROUTER_STREAM_IDLE_TIMEOUT:-30s}",
            paramLabel = "DURATION", converter = Durations.class,
            description = "A streamed reply ends (error event, partial reply kept) when the router sends nothing for this"
                    + " long (env AIROUTER_STREAM_IDLE_TIMEOUT; default ${DEFAULT-VALUE}).")
    Duration streamIdleTimeout;

    @Option(names = "--stream-max-duration", defaultValue = "${env:AIROUTER_STREAM_MAX_DURATION:-10m}",
            paramLabel = "DURATION", converter = Durations.class,
            description = "Longest streamed reply (env AIROUTER_STREAM_MAX_DURATION; default ${DEFAULT-VALUE}).")
    Duration streamMaxDuration;

    @Option(names = "--stream-buffer-bytes", defaultValue = "${env:AIROUTER_STREAM_BUFFER_BYTES:-262144}",
            paramLabel = "BYTES",
            description = "Events that may wait for a slow client, per stream; past it the stream ends"
                    + " (env AIROUTER_STREAM_BUFFER_BYTES; default ${DEFAULT-VALUE}).")
    int streamBufferBytes;

    @Option(names = "--max-reply-bytes", defaultValue = "${env:AIROUTER_MAX_REPLY_BYTES:-1048576}", paramLabel = "BYTES",
            description = "Longest streamed reply in UTF-8 bytes; a longer one is stopped and kept as interrupted"
                    + " (env AIROUTER_MAX_REPLY_BYTES; default ${DEFAULT-VALUE}).")
    int maxReplyBytes;
}

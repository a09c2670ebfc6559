package dev.airouter.session;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/**
 * A Lettuce client that finds the Sentinel master by asking every listed sentinel, and follows a
 * failover as soon as a sentinel announces it.
 *
 * <p>Lettuce's own lookup connects to the first sentinel that accepts a connection and asks only that
 * one (lettuce#661): a sentinel that is up but does not know the master name fails the whole connect
 * although the next one would answer, and a sentinel that has not yet heard of a failover names the
 * old master. Here every sentinel is asked ({@code SENTINEL MASTER <name>}, all at once) and the
 * answer with the highest {@code config-epoch} — the newest configuration — wins. The lookup runs at
 * the first connect and at every reconnect. When no sentinel names the master, the error says, for
 * each sentinel, what it answered: unreachable, or no master by that name.
 *
 * <p>A failover does not always drop the connections: after {@code SENTINEL FAILOVER} (a planned
 * switch) the old master stays up and keeps accepting writes, which are lost when sentinels turn it
 * into a replica some 10 s later. So {@link #watchSwitches} subscribes to {@code +switch-master} on
 * every sentinel, and on an announcement for this master drops the store's connections at once; they
 * reconnect through the lookup to the new master.
 */
final class SentinelClient extends RedisClient {
    private final Duration timeout;

    SentinelClient(ClientResources resources, RedisURI uri, Duration timeout) {
        super(resources, uri);
        this.timeout = timeout;
    }

    @Override
    protected Mono<SocketAddress> getSocketAddress(RedisURI uri) {
        if (uri.getSentinels().isEmpty() || uri.getSentinelMasterId() == null) {
            return super.getSocketAddress(uri);
        }
        return Mono.fromCompletionStage(() -> lookup(uri));
    }

    private CompletableFuture<SocketAddress> lookup(RedisURI uri) {
        String master = uri.getSentinelMasterId();
        List<String> answers = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Named>> asked = new ArrayList<>();
        for (RedisURI sentinel : uri.getSentinels()) {
            asked.add(ask(sentinel, master, answers).toCompletableFuture());
        }
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            Named newest = null;
            for (CompletableFuture<Named> answer : asked) { // in the order listed: the first wins a tie
                Named named = answer.join();
                if (named != null && (newest == null || named.epoch() > newest.epoch())) {
                    newest = named;
                }
            }
            if (newest == null) {
                throw new CompletionException(new RedisConnectionException(describe(master, answers)));
            }
            return newest.address();
        });
    }

    /** A master's address as one sentinel names it, with the epoch of the configuration it knows. */
    private record Named(SocketAddress address, long epoch) {}

    /** What one sentinel says of the master, or null (with the reason added to {@code answers}). */
    private CompletionStage<Named> ask(RedisURI sentinel, String master, List<String> answers) {
        String where = sentinel.getHost() + ":" + sentinel.getPort();
        return connectSentinelAsync(StringCodec.UTF8, sentinel)
                .thenCompose(connection -> connection.async().master(master).toCompletableFuture()
                        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .whenComplete((fields, error) -> connection.closeAsync()))
                .handle((fields, error) -> {
                    if (error != null) {
                        String reason = RedisConnector.reason(error);
                        answers.add(where + (reason.startsWith("ERR No such master")
                                ? " knows no master named '" + master + "'"
                                : (unreachable(error) ? " unreachable (" : " failed (") + reason + ")"));
                        return null;
                    }
                    if (fields == null || fields.get("ip") == null || fields.get("port") == null) {
                        answers.add(where + " knows no master named '" + master + "'");
                        return null;
                    }
                    try {
                        long epoch = Long.parseLong(fields.getOrDefault("config-epoch", "0"));
                        return new Named(new InetSocketAddress(fields.get("ip"), Integer.parseInt(fields.get("port"))), epoch);
                    } catch (NumberFormatException e) {
                        answers.add(where + " failed (unreadable SENTINEL MASTER reply: " + fields + ")");
                        return null;
                    }
                });
    }

    /**
     * Subscribes to {@code +switch-master} on every sentinel of {@code uri} that accepts a connection
     * now (each resubscribes by itself after a disconnect) and calls {@code onSwitch} when one
     * announces a new address for this master — once per new address, though every sentinel announces
     * it. The subscriptions end with the client.
     *
     * @param uri the store's Sentinel URI
     * @param onSwitch what to do when the master moved, e.g. drop the connections
     */
    void watchSwitches(RedisURI uri, Runnable onSwitch) {
        String master = uri.getSentinelMasterId();
        AtomicReference<String> handled = new AtomicReference<>("");
        RedisPubSubAdapter<String, String> listener = new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                // "<name> <old ip> <old port> <new ip> <new port>"
                String[] parts = message.split(" ");
                if (parts.length == 5 && parts[0].equals(master)) {
                    String moved = parts[3] + ":" + parts[4];
                    if (!handled.getAndSet(moved).equals(moved)) {
                        onSwitch.run();
                    }
                }
            }
        };
        for (RedisURI sentinel : uri.getSentinels()) {
            connectPubSubAsync(StringCodec.UTF8, sentinel).thenAccept(connection -> {
                connection.addListener(listener);
                connection.async().subscribe("+switch-master");
            }); // a sentinel down now is not watched; the others announce the same switch
        }
    }

    private static boolean unreachable(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RedisConnectionException || t instanceof java.net.ConnectException
                    || t instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(String master, List<String> answers) {
        boolean anyReachable = answers.stream().anyMatch(a -> !a.contains(" unreachable ("));
        // e.g. "no sentinel reachable: 127.0.0.1:26379 unreachable (Connection refused: …); …"
        String summary = anyReachable ? "no sentinel knows master '" + master + "'" : "no sentinel reachable";
        return summary + ": " + String.join("; ", answers);
    }
}

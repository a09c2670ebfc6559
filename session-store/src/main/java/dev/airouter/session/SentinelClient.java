package dev.airouter.session;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;

/**
 * A Lettuce client that finds the Sentinel master by asking every listed sentinel in turn, until one
 * names it.
 *
 * <p>Lettuce's own lookup connects to the first sentinel that accepts a connection and asks only that
 * one (lettuce#661): a sentinel that is up but does not know the master name (a typo in its
 * configuration, a sentinel just restarted) fails the whole connect although the next one would
 * answer. The lookup runs at the first connect and at every reconnect, so after a failover the store
 * reaches the new master by itself. When no sentinel names the master, the error says, for each
 * sentinel, what it answered: unreachable, or no master by that name.
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
        CompletableFuture<SocketAddress> found = CompletableFuture.completedFuture(null);
        for (RedisURI sentinel : uri.getSentinels()) {
            found = found.thenCompose(address -> address != null ? CompletableFuture.completedFuture(address)
                    : ask(sentinel, master, answers));
        }
        return found.thenApply(address -> {
            if (address == null) {
                throw new CompletionException(new RedisConnectionException(describe(master, answers)));
            }
            return address;
        });
    }

    /** The master's address as one sentinel names it, or null (with the reason added to {@code answers}). */
    private CompletionStage<SocketAddress> ask(RedisURI sentinel, String master, List<String> answers) {
        String where = sentinel.getHost() + ":" + sentinel.getPort();
        return connectSentinelAsync(StringCodec.UTF8, sentinel)
                .thenCompose(connection -> connection.async().getMasterAddrByName(master).toCompletableFuture()
                        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .whenComplete((address, error) -> connection.closeAsync()))
                .handle((address, error) -> {
                    if (error != null) {
                        answers.add(where + (unreachable(error) ? " unreachable (" : " failed (")
                                + RedisConnector.reason(error) + ")");
                        return null;
                    }
                    if (address == null) {
                        answers.add(where + " knows no master named '" + master + "'");
                        return null;
                    }
                    if (address instanceof InetSocketAddress inet && inet.isUnresolved()) {
                        return new InetSocketAddress(inet.getHostString(), inet.getPort());
                    }
                    return address;
                });
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

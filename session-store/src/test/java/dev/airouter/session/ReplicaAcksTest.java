package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code replicaAcks} against a real master and replica ({@code redis-server --replicaof}): an
 * acknowledged append is on the replica when it returns; a replica that does not confirm fails the
 * append as unavailable within the acknowledgement timeout; the blocking {@code WAIT} does not hold up
 * other sessions' commands; no fallback to memory.
 */
@ExtendWith(NoLeftoverProcesses.class)
class ReplicaAcksTest {
    private final String prefix = "acks:" + UUID.randomUUID() + ":";
    private RedisServer master;
    private RedisServer replica;

    @BeforeEach
    void startMasterAndReplica() {
        master = RedisServer.start();
        replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port()));
        await().atMost(Duration.ofSeconds(30))
                .until(() -> String.valueOf(replica.command("INFO", "replication")).contains("master_link_status:up"));
    }

    @AfterEach
    void stop() throws Exception {
        if (replica != null) {
            signal("CONT", replica.pid()); // in case a test stopped it and failed before resuming it
            replica.close();
        }
        if (master != null) {
            master.close();
        }
    }

    private SessionStoreConfig.Builder config(int replicas, Duration ackTimeout) {
        return SessionStoreConfig.builder().redisUrl(master.url()).keyPrefix(prefix)
                .connectTimeout(TestTimeouts.CONNECT).commandTimeout(Duration.ofSeconds(3))
                .replicaAcks(replicas, ackTimeout);
    }

    @Test
    void anAcknowledgedAppendIsOnTheReplicaWhenItReturns() {
        try (SessionStore store = SessionStores.open(config(1, Duration.ofSeconds(2)).build())) {
            for (int turn = 1; turn <= 20; turn++) {
                String id = SessionIds.random();
                store.append(id, ChatMessage.user("hello " + turn), ChatMessage.assistant("hi " + turn));
                // read at once from the replica, on a fresh connection: WAIT said it has both messages
                assertThat(replica.command("LLEN", RedisKeys.of(prefix, id)[1])).as("turn %d on the replica", turn)
                        .isEqualTo(2L);
            }
            String id = SessionIds.random();
            store.save(new Session(id, java.time.Instant.now(), java.time.Instant.now(), List.of(ChatMessage.user("saved"))));
            assertThat(replica.command("LLEN", RedisKeys.of(prefix, id)[1])).isEqualTo(1L);
        }
    }

    @Test
    void aReplicaThatDoesNotConfirmFailsTheAppendAsUnavailableWithinTheAckTimeout() throws Exception {
        try (SessionStore store = SessionStores.open(config(1, Duration.ofMillis(400)).build())) {
            String id = SessionIds.random();
            store.append(id, ChatMessage.user("before"));
            signal("STOP", replica.pid());
            try {
                long start = System.nanoTime();
                assertThatThrownBy(() -> store.append(id, ChatMessage.user("unconfirmed")))
                        .isInstanceOf(StoreUnavailableException.class)
                        .hasMessageContaining("only 0 of 1 replica(s) confirmed the write within 400 ms")
                        .hasMessageContaining("may or may not be kept");
                double millis = (System.nanoTime() - start) / 1e6;
                assertThat(millis).as("ms until the append failed").isBetween(350.0, 2900.0);
            } finally {
                signal("CONT", replica.pid());
            }
            // the replica catches up by itself, and appends are acknowledged again
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> store.append(id, ChatMessage.user("after")) > 0);
            assertThat(store.load(id).orElseThrow().messages()).extracting(ChatMessage::content)
                    .startsWith("before").endsWith("after");
        }
    }

    @Test
    void waitingForReplicasDoesNotHoldUpOtherSessionsCommands() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (SessionStore store = SessionStores.open(config(1, Duration.ofMillis(1500)).build())) {
            String other = SessionIds.random();
            store.append(other, ChatMessage.user("other"));
            signal("STOP", replica.pid());
            List<CompletableFuture<Integer>> blocked = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) { // more than the acknowledged-write connections: all of them block
                    String id = SessionIds.random();
                    blocked.add(CompletableFuture.supplyAsync(() -> store.append(id, ChatMessage.user("waits")), pool));
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> waitingClients() >= RedisConnector.ACK_CONNECTIONS);
                long start = System.nanoTime();
                for (int i = 0; i < 20; i++) {
                    assertThat(store.load(other)).isPresent();
                }
                double millis = (System.nanoTime() - start) / 1e6;
                System.out.printf("[replicaAcks] 20 loads of another session while %d connections wait in WAIT: %.1f ms%n",
                        waitingClients(), millis);
                assertThat(millis).as("ms for 20 loads while acknowledged appends wait").isLessThan(1000);
            } finally {
                signal("CONT", replica.pid());
            }
            for (CompletableFuture<Integer> f : blocked) { // confirmed once the replica resumed, or failed: never hung
                assertThat(f.handle((size, error) -> error == null ? "acknowledged"
                        : error.getCause() instanceof StoreUnavailableException ? "unavailable" : error.toString()))
                        .succeedsWithin(Duration.ofSeconds(30)).isIn("acknowledged", "unavailable");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fewerConnectedReplicasThanAskedIsAWarningAtOpenAndEveryAppendFails() {
        try (LogCapture log = new LogCapture();
                SessionStore store = SessionStores.open(config(2, Duration.ofMillis(200)).build())) {
            assertThat(log.text()).contains("replicaAcks is 2 but the Redis master has 1 connected replica(s)");
            assertThatThrownBy(() -> store.append(SessionIds.random(), ChatMessage.user("x")))
                    .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("only 1 of 2 replica(s)");
        }
    }

    @Test
    void withReplicaAcksAnUnreachableRedisIsAnErrorNotAFallbackToMemory() {
        SessionStoreConfig config = SessionStoreConfig.builder().redisUrl("redis://127.0.0.1:" + FreePorts.next())
                .connectTimeout(TestTimeouts.FALLBACK).replicaAcks(1).build();
        assertThatThrownBy(() -> SessionStores.open(config).close()).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("Connection refused");
    }

    private int waitingClients() {
        String info = String.valueOf(master.command("INFO", "clients"));
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("blocked_clients:")) {
                return Integer.parseInt(line.substring("blocked_clients:".length()).trim());
            }
        }
        return 0;
    }

    private static void signal(String signal, long pid) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor();
    }
}

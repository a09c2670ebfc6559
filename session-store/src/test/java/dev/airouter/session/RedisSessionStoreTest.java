package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisExtension;
import dev.airouter.testing.RedisServer;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The contract against a real redis-server on a free loopback port, plus Redis-only behaviour. */
@ExtendWith({RedisExtension.class, NoLeftoverProcesses.class})
class RedisSessionStoreTest extends SessionStoreContract {
    private final RedisServer redis;
    private final String prefix = "test:" + UUID.randomUUID() + ":";

    RedisSessionStoreTest(RedisServer redis) {
        this.redis = redis;
    }

    @Override
    SessionStoreConfig baseConfig() {
        return SessionStoreConfig.builder().redisUrl(redis.url()).keyPrefix(prefix)
                .connectTimeout(TestTimeouts.CONNECT).build();
    }

    @Override
    Duration shortTtl() {
        return Duration.ofMillis(1500);
    }

    @Override
    void elapse(SessionStore store, String id, Duration duration) {
        Duration target = shortTtl().minus(duration);
        await().atMost(duration.plusSeconds(3)).pollInterval(Duration.ofMillis(10))
                .until(() -> remainingTtl(store, id).compareTo(target) <= 0);
    }

    @Override
    void expire(SessionStore store, String id) {
        await().atMost(shortTtl().plusSeconds(3)).pollInterval(Duration.ofMillis(10)).until(() -> !store.exists(id));
    }

    @Override
    Duration remainingTtl(SessionStore store, String id) {
        long millis = (Long) redis.command("PTTL", RedisKeys.of(prefix, id)[0]);
        return Duration.ofMillis(Math.max(0, millis));
    }

    @Test
    void theStoreIsTheRedisBackend() {
        assertThat(newStore().backend()).isEqualTo("redis");
    }

    @Test
    void theWritingStoreLoadsItsOwnMessagesExactlyAsAnotherStoreParsesThem() {
        SessionStore writer = newStore();
        String id = newId();
        // metadata numbers that JSON gives back as another type, and ones it gives back as they were
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("long", 5L);
        metadata.put("float", 1.5f);
        metadata.put("big", new BigDecimal("0.1"));
        metadata.put("int", 7);
        metadata.put("double", 0.25);
        metadata.put("text", "x");
        metadata.put("flag", true);
        ChatMessage odd = ChatMessage.assistant("typed").withMetadata(metadata);
        ChatMessage plain = ChatMessage.user("plain \u0000 \uD83D\uDE00").withMetadata(Map.of("n", 3, "d", 0.5));
        writer.append(id, odd, plain);

        List<ChatMessage> parsed = newStore().load(id).orElseThrow().messages();
        assertThat(writer.load(id).orElseThrow().messages()).isEqualTo(parsed);
        assertThat(writer.load(id, 1).orElseThrow().messages()).isEqualTo(parsed.subList(1, 2));
        assertThat(parsed.get(0).metadata().get("long")).isEqualTo(5); // what JSON gives back
        assertThat(parsed.get(1)).isEqualTo(plain);
    }

    @Test
    void twoStoreInstancesAppendingConcurrentlyLoseNothing() throws Exception {
        SessionStore first = newStore(b -> b.historyLimit(10_000));
        SessionStore second = newStore(b -> b.historyLimit(10_000));
        String id = newId();
        ConcurrentAppends.run(List.of(first, second), id, 16, 200);
        ConcurrentAppends.assertComplete(second.load(id).orElseThrow(), 16, 200);
        ConcurrentAppends.assertComplete(first.load(id).orElseThrow(), 16, 200);
    }

    @Test
    void everyKeyOfASessionCarriesThePrefixAHashTagAndTheTtl() {
        SessionStore store = newStore();
        String id = newId();
        store.append(id, message("a"));
        @SuppressWarnings("unchecked")
        List<Object> keys = (List<Object>) redis.command("KEYS", prefix + "*");
        assertThat(keys).containsExactlyInAnyOrder(prefix + "{" + id + "}", prefix + "{" + id + "}:messages",
                prefix + "{" + id + "}:ids");
        for (Object key : keys) {
            assertThat((Long) redis.command("PTTL", (String) key)).isBetween(1L, Duration.ofMinutes(30).toMillis());
        }
    }

    @Test
    void aSessionWrittenByANewerFormatIsRefusedNotMisread() {
        SessionStore store = newStore();
        String id = newId();
        store.append(id, message("a"));
        redis.command("HSET", RedisKeys.of(prefix, id)[0], "v", "2");
        assertThatThrownBy(() -> store.load(id)).isInstanceOf(SessionStoreException.class)
                .hasMessageContaining("format version 2").hasMessageContaining("reads up to 1");
    }

    @Test
    void theScriptsAreReloadedAfterRedisForgetsThem() {
        SessionStore store = newStore();
        String id = newId();
        store.append(id, message("a"));
        assertThat(store.load(id, 1)).isPresent();
        redis.command("SCRIPT", "FLUSH");
        assertThat(store.append(id, message("b"))).isEqualTo(2);
        assertThat(store.load(id)).isPresent();
        redis.command("SCRIPT", "FLUSH");
        assertThat(contents(store.load(id, 1).orElseThrow())).containsExactly("b");
    }

    @Test
    void aTailLoadTransfersOnlyTheTail() {
        SessionStore store = newStore(b -> b.historyLimit(10_000));
        String id = newId();
        String filler = "x".repeat(1_000);
        for (int batch = 0; batch < 4; batch++) {
            store.append(id, IntStream.range(0, 500).mapToObj(i -> message(filler)).toList());
        }
        store.load(id, 10); // loads the script, so neither measurement includes SCRIPT LOAD

        long tailBytes = bytesSentBy(() -> assertThat(store.load(id, 10).orElseThrow().messages()).hasSize(10));
        long wholeBytes = bytesSentBy(() -> assertThat(store.load(id).orElseThrow().messages()).hasSize(2_000));
        assertThat(wholeBytes).as("whole load of 2,000 x 1 kB").isGreaterThan(2_000_000);
        assertThat(tailBytes).as("tail load of 10 x 1 kB, plus one INFO reply").isLessThan(50_000);
    }

    /** What Redis sent to all its clients while {@code action} ran, by its own count. */
    private long bytesSentBy(Runnable action) {
        long before = totalNetOutputBytes();
        action.run();
        return totalNetOutputBytes() - before;
    }

    private long totalNetOutputBytes() {
        Matcher matcher = Pattern.compile("total_net_output_bytes:(\\d+)")
                .matcher(redis.command("INFO", "stats").toString());
        assertThat(matcher.find()).as("INFO stats reports total_net_output_bytes").isTrue();
        return Long.parseLong(matcher.group(1));
    }

    @Test
    void aCachedHistoryCostsNoRoundTripAndAnotherStoresWriteReachesItByItself() {
        RedisSessionStore a = (RedisSessionStore) newStore();
        SessionStore b = newStore();
        assertThat(a.clientCacheActive()).as("client-side cache on a standalone Redis 7").isTrue();
        String id = newId();
        assertThat(a.appendAfter(id, null, List.of(message("q1"), ChatMessage.assistant("a1")))).hasValue(2);
        String last = a.load(id, 20).orElseThrow().messages().get(1).id();
        long before = evalCalls();
        assertThat(contents(a.load(id, 20).orElseThrow())).containsExactly("q1", "a1");
        assertThat(evalCalls()).as("a cached tail load sends nothing").isEqualTo(before);
        // a conditional append keeps the cache current: the next load is served from it too
        String q2 = a.appendAfter(id, last, List.of(message("q2"))).isPresent() ? "q2" : "refused";
        assertThat(q2).isEqualTo("q2");
        before = evalCalls();
        assertThat(contents(a.load(id, 20).orElseThrow())).containsExactly("q1", "a1", "q2");
        assertThat(evalCalls()).isEqualTo(before);
        // another instance writes: Redis tells the first one, which reads again
        b.append(id, message("from b"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(contents(a.load(id, 20).orElseThrow())).containsExactly("q1", "a1", "q2", "from b"));
    }

    @Test
    void aConversationAtItsHistoryLimitIsServedFromTheCacheTurnAfterTurn() {
        RedisSessionStore a = (RedisSessionStore) newStore(b -> b.historyLimit(4));
        String id = newId();
        a.append(id, List.of(message("m1"), message("m2"), message("m3"), message("m4")));
        String last = a.load(id, 50).orElseThrow().messages().get(3).id(); // a router taking more than the limit
        for (int turn = 5; turn < 9; turn++) {
            ChatMessage q = message("m" + turn);
            assertThat(a.appendAfter(id, last, List.of(q))).hasValue(4);
            long before = evalCalls();
            Session s = a.load(id, 50).orElseThrow();
            assertThat(evalCalls()).as("turn %d: served from the cache", turn).isEqualTo(before);
            assertThat(contents(s)).containsExactly("m" + (turn - 3), "m" + (turn - 2), "m" + (turn - 1), "m" + turn);
            last = q.id();
        }
    }

    @Test
    void aStaleCachedReadIsNeverStoredAsCurrent() {
        RedisSessionStore a = (RedisSessionStore) newStore();
        SessionStore b = newStore();
        String id = newId();
        a.append(id, message("q1"));
        String seen = a.load(id, 20).orElseThrow().messages().get(0).id();
        b.append(id, message("from b")); // whether or not its invalidation has reached a yet
        assertThat(a.appendAfter(id, seen, List.of(message("q2")))).isEmpty();
        assertThat(contents(b.load(id).orElseThrow())).containsExactly("q1", "from b");
    }

    @Test
    void theCacheIsEmptiedWhenTheConnectionDropsAndComesBackWithIt() {
        RedisSessionStore a = (RedisSessionStore) newStore();
        String id = newId();
        a.append(id, message("q1"));
        a.load(id, 20);
        long clientId = (Long) redis.command("CLIENT", "ID"); // the test's own connection, to skip it
        Object list = redis.command("CLIENT", "LIST", "TYPE", "normal");
        for (String line : list.toString().split("\n")) {
            if (line.contains("flags=t") && !line.contains("id=" + clientId + " ")) {
                String kill = line.substring(line.indexOf("id=") + 3, line.indexOf(' ', line.indexOf("id=")));
                redis.command("CLIENT", "KILL", "ID", kill);
            }
        }
        // while a is away, another client changes the session; a must not answer from what it had
        redis.command("RPUSH", RedisKeys.of(prefix, id)[1], SessionJson.write(message("written while away")));
        // (while it reconnects its loads fail: none is served from what it had cached)
        await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(StoreUnavailableException.class)
                .untilAsserted(() -> assertThat(contents(a.load(id, 20).orElseThrow()))
                        .containsExactly("q1", "written while away"));
        await().atMost(Duration.ofSeconds(10)).until(a::clientCacheActive);
    }

    private long evalCalls() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("cmdstat_evalsha:calls=(\\d+)")
                .matcher(redis.command("INFO", "commandstats").toString());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void pingIsARealRoundTrip() {
        SessionStore store = newStore();
        assertThat(store.ping()).isTrue();
        assertThat(redis.command("INFO", "commandstats").toString()).contains("cmdstat_ping");
    }
}

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
    void pingIsARealRoundTrip() {
        SessionStore store = newStore();
        assertThat(store.ping()).isTrue();
        assertThat(redis.command("INFO", "commandstats").toString()).contains("cmdstat_ping");
    }
}

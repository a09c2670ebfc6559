package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The behaviour every {@link SessionStore} shares. Subclasses supply the store and a way to let time
 * pass; the tests here must pass unchanged against both.
 */
abstract class SessionStoreContract {
    private final List<SessionStore> opened = new ArrayList<>();

    /** The config every store in a test starts from (URL, clock, a long TTL, a unique key prefix). */
    abstract SessionStoreConfig baseConfig();

    /** A TTL short enough for {@link #elapse} to cover it quickly (fake time in memory, real in Redis). */
    abstract Duration shortTtl();

    /** Lets {@code duration} pass for session {@code id} of {@code store}. */
    abstract void elapse(SessionStore store, String id, Duration duration);

    /** Lets the whole TTL pass and waits until the store no longer reports the untouched session. */
    abstract void expire(SessionStore store, String id);

    /** The session's remaining time to live as the backend sees it. */
    abstract Duration remainingTtl(SessionStore store, String id);

    SessionStore newStore(UnaryOperator<SessionStoreConfig.Builder> tweak) {
        SessionStore store = SessionStores.open(tweak.apply(baseConfig().toBuilder()).build());
        opened.add(store);
        return store;
    }

    SessionStore newStore() {
        return newStore(b -> b);
    }

    @AfterEach
    void closeStores() {
        opened.forEach(SessionStore::close);
    }

    static String newId() {
        return "s-" + UUID.randomUUID();
    }

    static ChatMessage message(String content) {
        return ChatMessage.user(content);
    }

    static List<String> contents(Session session) {
        return session.messages().stream().map(ChatMessage::content).toList();
    }

    /** Appends messages "m1" … "m{count}", several per call, the way a long conversation accumulates. */
    static void appendNumbered(SessionStore store, String id, int count) {
        for (int first = 1; first <= count; first += 500) {
            List<ChatMessage> batch = IntStream.rangeClosed(first, Math.min(count, first + 499))
                    .mapToObj(i -> message("m" + i)).toList();
            store.append(id, batch);
        }
    }

    static List<String> numbered(int first, int last) {
        return IntStream.rangeClosed(first, last).mapToObj(i -> "m" + i).toList();
    }

    @Test
    void appendCreatesTheSessionAndLoadReturnsMessagesOldestFirst() {
        SessionStore store = newStore();
        String id = newId();
        assertThat(store.append(id, message("one"), ChatMessage.assistant("two"))).isEqualTo(2);
        assertThat(store.append(id, message("three"))).isEqualTo(3);

        Session session = store.load(id).orElseThrow();
        assertThat(session.id()).isEqualTo(id);
        assertThat(contents(session)).containsExactly("one", "two", "three");
        assertThat(session.messages().get(1).role()).isEqualTo("assistant");
        assertThat(session.updatedAt()).isAfterOrEqualTo(session.createdAt());
    }

    @Test
    void loadOfAnUnknownSessionIsEmptyAndExistsDoesNotCreateIt() {
        SessionStore store = newStore();
        String id = newId();
        assertThat(store.exists(id)).isFalse();
        assertThat(store.load(id)).isEmpty();
        assertThat(store.exists(id)).isFalse();
    }

    @Test
    void appendingAMessageIdTwiceStoresItOnce() {
        SessionStore store = newStore();
        String id = newId();
        ChatMessage first = message("retried");
        store.append(id, first);
        assertThat(store.append(id, first, message("new"))).isEqualTo(2);
        assertThat(store.append(id, first)).isEqualTo(2);
        assertThat(contents(store.load(id).orElseThrow())).containsExactly("retried", "new");
    }

    @Test
    void appendAfterStoresOnlyOnTheStateTheCallerRead() {
        SessionStore store = newStore();
        String id = newId();
        assertThat(store.appendAfter(id, null, List.of(message("q1"), ChatMessage.assistant("a1")))).hasValue(2);
        String last = store.load(id, 20).orElseThrow().messages().get(1).id();
        store.append(id, message("meanwhile")); // another turn, stored after that read
        assertThat(store.appendAfter(id, last, List.of(message("q2")))).as("stale read").isEmpty();
        assertThat(contents(store.load(id).orElseThrow())).containsExactly("q1", "a1", "meanwhile");
        String fresh = store.load(id, 20).orElseThrow().messages().get(2).id();
        assertThat(store.appendAfter(id, fresh, List.of(message("q2")))).hasValue(4);
        assertThat(store.appendAfter(id, null, List.of(message("x")))).as("read as empty, but it is not").isEmpty();
        assertThat(contents(store.load(id).orElseThrow())).containsExactly("q1", "a1", "meanwhile", "q2");
    }

    @Test
    void aRetriedConditionalAppendIsStoredOnceAndCountsAsDone() {
        SessionStore store = newStore();
        String id = newId();
        List<ChatMessage> turn = List.of(message("q"), ChatMessage.assistant("a"));
        assertThat(store.appendAfter(id, null, turn)).hasValue(2);
        assertThat(store.appendAfter(id, null, turn)).as("the same append again (its reply was lost)").hasValue(2);
        assertThat(contents(store.load(id).orElseThrow())).containsExactly("q", "a");
    }

    @Test
    void tailLoadReturnsNewestMessagesOldestFirst() {
        SessionStore store = newStore();
        String id = newId();
        appendNumbered(store, id, 10);
        Session whole = store.load(id).orElseThrow();

        Session tail = store.load(id, 3).orElseThrow();
        assertThat(contents(tail)).containsExactly("m8", "m9", "m10");
        assertThat(tail.messages()).isEqualTo(whole.messages().subList(7, 10));
        assertThat(tail.id()).isEqualTo(id);
        assertThat(tail.createdAt()).isEqualTo(whole.createdAt());
        assertThat(tail.updatedAt()).isEqualTo(whole.updatedAt());
        assertThat(contents(store.load(id).orElseThrow())).as("a tail load drops nothing").isEqualTo(numbered(1, 10));
    }

    @Test
    void tailLoadOfMoreMessagesThanTheSessionHoldsReturnsThemAll() {
        SessionStore store = newStore();
        String id = newId();
        appendNumbered(store, id, 4);
        for (int lastN : new int[] {4, 5, Integer.MAX_VALUE}) {
            assertThat(contents(store.load(id, lastN).orElseThrow())).as("lastN %d", lastN)
                    .containsExactly("m1", "m2", "m3", "m4");
        }
    }

    @Test
    void tailLoadOfZeroMessagesTellsTheSessionExistsWithoutMessages() {
        SessionStore store = newStore();
        String id = newId();
        appendNumbered(store, id, 2);

        Session none = store.load(id, 0).orElseThrow();
        assertThat(none.id()).isEqualTo(id);
        assertThat(none.messages()).isEmpty();
        assertThat(store.load(newId(), 0)).isEmpty();
        assertThat(contents(store.load(id).orElseThrow())).containsExactly("m1", "m2");
    }

    @Test
    void tailLoadOfAnUnknownSessionIsEmptyCreatesNothingAndCountsAsAMiss() {
        SessionStore store = newStore();
        String known = newId();
        String unknown = newId();
        store.append(known, message("a"));

        assertThat(store.load(unknown, 5)).isEmpty();
        assertThat(store.exists(unknown)).isFalse();
        assertThat(store.load(known, 1)).isPresent();
        assertThat(store.load(known, 0)).isPresent();
        SessionStats stats = store.stats();
        assertThat(stats.hits()).isEqualTo(2);
        assertThat(stats.misses()).isEqualTo(1);
        assertThat(stats.sessions()).isEqualTo(1);
    }

    @Test
    void negativeTailLengthIsRejectedNamingTheValueBeforeTheStoreIsAsked() {
        SessionStore store = newStore();
        String id = newId();
        store.append(id, message("a"));

        assertThatThrownBy(() -> store.load(id, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lastN must be at least 0, got -1");
        assertThatThrownBy(() -> store.load(newId(), Integer.MIN_VALUE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lastN must be at least 0, got -2147483648");
        SessionStats stats = store.stats();
        assertThat(stats.hits() + stats.misses()).as("loads counted").isZero();
    }

    @Test
    void tailLoadOfAFiveThousandMessageSessionReturnsExactlyTheLastN() {
        SessionStore store = newStore(b -> b.historyLimit(100_000));
        String id = newId();
        appendNumbered(store, id, 5_000);

        assertThat(contents(store.load(id, 500).orElseThrow())).isEqualTo(numbered(4_501, 5_000));
        assertThat(contents(store.load(id, 1).orElseThrow())).containsExactly("m5000");
        assertThat(store.load(id).orElseThrow().messages()).hasSize(5_000);
    }

    @Test
    void historyIsTrimmedToTheLimitDroppingTheOldest() {
        SessionStore store = newStore(b -> b.historyLimit(5));
        String id = newId();
        for (int i = 1; i <= 6; i++) {
            store.append(id, message("m" + i));
        }
        assertThat(store.append(id, message("m7"), message("m8"))).isEqualTo(5);
        assertThat(contents(store.load(id).orElseThrow())).containsExactly("m4", "m5", "m6", "m7", "m8");
    }

    @Test
    void saveReplacesTheSessionKeepingItsCreatedTimeAndTrims() {
        SessionStore store = newStore(b -> b.historyLimit(3));
        String id = newId();
        store.append(id, message("old"));
        Instant created = Instant.parse("2026-01-02T03:04:05Z");
        List<ChatMessage> messages = List.of(message("a"), message("b"), message("c"), message("d"));
        store.save(new Session(id, created, created, messages));

        Session loaded = store.load(id).orElseThrow();
        assertThat(contents(loaded)).containsExactly("b", "c", "d");
        assertThat(loaded.createdAt()).isEqualTo(created);
        assertThat(loaded.updatedAt()).isAfter(created);
        assertThat(store.append(id, message("e"))).isEqualTo(3);
    }

    @Test
    void deleteRemovesTheSession() {
        SessionStore store = newStore();
        String id = newId();
        store.append(id, message("bye"));
        assertThat(store.delete(id)).isTrue();
        assertThat(store.exists(id)).isFalse();
        assertThat(store.load(id)).isEmpty();
        assertThat(store.delete(id)).isFalse();
    }

    @Test
    void jsonRoundTripKeepsUnicodeNulTimestampsAndMetadata() {
        SessionStore store = newStore();
        String id = newId();
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("agent", "math");
        metadata.put("confidence", 0.93);
        metadata.put("tokens", 42);
        metadata.put("cached", true);
        ChatMessage tricky = new ChatMessage("m-1", "assistant",
                "NUL:\u0000 emoji:😀🇩🇪 quote:\" backslash:\\ newline:\n tab:\t 中文 \uFFFF",
                Instant.parse("2026-11-25T18:47:44.123456789Z"), metadata);
        store.append(id, tricky);

        ChatMessage loaded = store.load(id).orElseThrow().messages().get(0);
        assertThat(loaded).isEqualTo(tricky);
        assertThat(loaded.metadata()).containsExactly(Map.entry("agent", "math"), Map.entry("confidence", 0.93),
                Map.entry("tokens", 42), Map.entry("cached", true));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", " ", "a b", "../etc", "a:b", "a{b}", "*", "ключ", "a\nb", "a\u0000b", "😀",
        "12345678901234567890123456789012345678901234567890123456789012345678901234567890"
            + "12345678901234567890123456789012345678901234567890"})
    void invalidSessionIdsAreRejectedBeforeAnyAccess(String badId) {
        SessionStore store = newStore();
        List<Runnable> calls = List.of(() -> store.load(badId), () -> store.load(badId, 1),
                () -> store.load(badId, -1), () -> store.append(badId, message("x")), () -> store.delete(badId),
                () -> store.exists(badId));
        for (Runnable call : calls) {
            assertThatThrownBy(call::run).isInstanceOf(InvalidSessionIdException.class)
                    .hasMessageStartingWith("invalid session id ")
                    .hasMessageContaining("; expected " + SessionIds.RULE);
        }
        assertThat(store.stats().sessions()).isZero();
    }

    @Test
    void theLongestValidSessionIdIsAccepted() {
        SessionStore store = newStore();
        String id = "a-Z_9".repeat(25) + "xyz";
        assertThat(id).hasSize(128);
        store.append(id, message("fits"));
        assertThat(store.exists(id)).isTrue();
    }

    @Test
    void statsCountHitsMissesAppendsAndSessions() {
        SessionStore store = newStore();
        String a = newId();
        String b = newId();
        store.append(a, message("1"));
        store.append(b, message("2"));
        store.append(b, message("3"));
        store.load(a);
        store.load(newId());

        SessionStats stats = store.stats();
        assertThat(stats.backend()).isEqualTo(store.backend());
        assertThat(stats.sessions()).isEqualTo(2);
        assertThat(stats.hits()).isEqualTo(1);
        assertThat(stats.misses()).isEqualTo(1);
        assertThat(stats.appends()).isEqualTo(3);
    }

    @Test
    void loadAndAppendRenewTheTtl() {
        Duration ttl = shortTtl();
        SessionStore store = newStore(b -> b.ttl(ttl));
        String id = newId();
        Duration step = ttl.multipliedBy(6).dividedBy(10);
        store.append(id, message("a"));

        elapse(store, id, step);
        assertThat(store.load(id)).isPresent();
        assertThat(remainingTtl(store, id)).isGreaterThan(ttl.multipliedBy(8).dividedBy(10));

        elapse(store, id, step);
        store.append(id, message("b"));
        assertThat(remainingTtl(store, id)).isGreaterThan(ttl.multipliedBy(8).dividedBy(10));

        elapse(store, id, step);
        assertThat(store.exists(id)).as("alive 1.8 TTLs after creation thanks to renewals").isTrue();
    }

    @Test
    void tailLoadsRenewTheTtlOfTheSessionAndItsMessages() {
        Duration ttl = shortTtl();
        // a tail load the Redis store serves from its client-side cache renews nothing (the turn's append does)
        SessionStore store = newStore(b -> b.ttl(ttl).clientCache(false));
        String id = newId();
        Duration step = ttl.multipliedBy(6).dividedBy(10);
        store.append(id, message("a"), message("b"));

        elapse(store, id, step);
        assertThat(store.load(id, 1)).isPresent();
        assertThat(remainingTtl(store, id)).isGreaterThan(ttl.multipliedBy(8).dividedBy(10));

        elapse(store, id, step);
        assertThat(store.load(id, 0)).isPresent();
        assertThat(remainingTtl(store, id)).isGreaterThan(ttl.multipliedBy(8).dividedBy(10));

        elapse(store, id, step);
        assertThat(contents(store.load(id, 2).orElseThrow()))
                .as("messages still there 1.8 TTLs after the last write, thanks to tail loads alone")
                .containsExactly("a", "b");
    }

    @Test
    void anUntouchedSessionIsGoneAfterTheTtlAndExistsDoesNotRenewIt() {
        Duration ttl = shortTtl();
        SessionStore store = newStore(b -> b.ttl(ttl));
        String id = newId();
        store.append(id, message("a"));
        elapse(store, id, ttl.dividedBy(2));
        assertThat(store.exists(id)).isTrue();
        assertThat(remainingTtl(store, id)).isLessThanOrEqualTo(ttl.dividedBy(2));

        expire(store, id);
        assertThat(store.exists(id)).isFalse();
        assertThat(store.load(id)).isEmpty();
    }

    @Test
    void concurrentAppendsLoseNothingAndKeepEachThreadsOrder() throws Exception {
        SessionStore store = newStore(b -> b.historyLimit(10_000));
        String id = newId();
        ConcurrentAppends.run(List.of(store), id, 16, 200);
        ConcurrentAppends.assertComplete(store.load(id).orElseThrow(), 16, 200);
    }

    @Test
    void closeIsIdempotentAndLaterCallsFail() {
        SessionStore store = newStore();
        assertThat(store.ping()).isTrue();
        store.close();
        store.close();
        assertThat(store.ping()).isFalse();
        assertThatThrownBy(() -> store.load(newId())).isInstanceOf(SessionStoreException.class)
                .hasMessageContaining("closed");
    }
}

package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisServer;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link SessionStores#open}: which store it picks, how fast, and what it logs. */
@ExtendWith(NoLeftoverProcesses.class)
class SessionStoresTest {

    @Test
    void noneSelectsMemoryWithoutTryingRedis() {
        try (LogCapture log = new LogCapture();
                SessionStore store = SessionStores.open(SessionStoreConfig.builder().redisUrl("NONE").build())) {
            assertThat(store.backend()).isEqualTo("memory");
            assertThat(log.text()).contains("[INFO] Using in-memory session store (Redis disabled");
        }
    }

    @Test
    void reachableRedisIsUsedAndLoggedWithItsPasswordMasked() {
        try (RedisServer redis = RedisServer.start("--requirepass", "s3cr3t-pw")) {
            String url = "redis://s3cr3t-pw@127.0.0.1:" + redis.port();
            SessionStoreConfig config = SessionStoreConfig.builder().redisUrl(url).connectTimeout(TestTimeouts.CONNECT).build();
            try (LogCapture log = new LogCapture(); SessionStore store = SessionStores.open(config)) {
                assertThat(store.backend()).isEqualTo("redis");
                assertThat(log.text()).contains("[OK] Redis connected (redis://***@127.0.0.1:" + redis.port() + ")")
                        .doesNotContain("s3cr3t-pw");
                assertThat(store.toString()).doesNotContain("s3cr3t-pw");
            }
        }
    }

    @Test
    void aclUserAndPasswordAreAccepted() {
        try (RedisServer redis = RedisServer.start("--user", "default", "off",
                "--user", "chat", "on", ">p4ss-w0rd", "~*", "+@all")) {
            String url = "redis://chat:p4ss-w0rd@127.0.0.1:" + redis.port();
            SessionStoreConfig config = SessionStoreConfig.builder().redisUrl(url).connectTimeout(TestTimeouts.CONNECT).build();
            try (LogCapture log = new LogCapture(); SessionStore store = SessionStores.open(config)) {
                assertThat(store.backend()).isEqualTo("redis");
                store.append("acl-session", ChatMessage.user("hi"));
                assertThat(store.exists("acl-session")).isTrue();
                assertThat(log.text()).contains("(redis://chat:***@127.0.0.1:").doesNotContain("p4ss-w0rd");
            }
        }
    }

    @Test
    void aWrongPasswordFallsBackToMemoryWithoutLeakingIt() {
        try (RedisServer redis = RedisServer.start("--requirepass", "right-one")) {
            String url = "redis://user-x:n0t-the-pw@127.0.0.1:" + redis.port();
            SessionStoreConfig config = SessionStoreConfig.builder().redisUrl(url).build();
            try (LogCapture log = new LogCapture(); SessionStore store = SessionStores.open(config)) {
                assertThat(store.backend()).isEqualTo("memory");
                assertThat(log.text()).contains("[INFO] Using in-memory session store (Redis unavailable: ")
                        .doesNotContain("n0t-the-pw");
            }
            assertThatThrownBy(() -> SessionStores.redis(config)).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("redis://user-x:***@127.0.0.1:" + redis.port())
                    .hasMessageNotContaining("n0t-the-pw");
            assertThat(config.toString()).doesNotContain("n0t-the-pw").contains("user-x:***@");
        }
    }

    @Test
    void redisDownAtStartupFallsBackToMemoryWithinASecond() {
        int closedPort = FreePorts.next();
        SessionStoreConfig config = SessionStoreConfig.builder().redisUrl("redis://127.0.0.1:" + closedPort).build();
        long start = System.nanoTime();
        try (LogCapture log = new LogCapture(); SessionStore store = SessionStores.open(config)) {
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(store.backend()).isEqualTo("memory");
            assertThat(took).isLessThan(TestTimeouts.FALLBACK);
            assertThat(log.text()).contains("[INFO] Using in-memory session store (Redis unavailable: ")
                    .contains("127.0.0.1:" + closedPort);
        }
    }

    @Test
    void aServerThatNeverAnswersFallsBackWithinTheConnectTimeout() throws Exception {
        try (ServerSocket silent = FreePorts.occupy()) { // accepts TCP, never speaks RESP
            SessionStoreConfig config = SessionStoreConfig.builder()
                    .redisUrl("redis://127.0.0.1:" + silent.getLocalPort()).build();
            long start = System.nanoTime();
            try (LogCapture log = new LogCapture(); SessionStore store = SessionStores.open(config)) {
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(store.backend()).isEqualTo("memory");
                assertThat(took).isBetween(Duration.ofMillis(900), TestTimeouts.FALLBACK);
                assertThat(log.text()).contains("[INFO] Using in-memory session store (Redis unavailable: ");
            }
        }
    }

    @Test
    void redisRefusesNone() {
        SessionStoreConfig config = SessionStoreConfig.builder().redisUrl("none").build();
        assertThatThrownBy(() -> SessionStores.redis(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redisUrl is none");
    }
}

package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Programs;
import dev.airouter.testing.RedisServer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code rediss://} against a redis-server with a self-signed certificate for 127.0.0.1. */
@ExtendWith(NoLeftoverProcesses.class)
class RedisTlsTest {
    private static final String TRUST_STORE = "javax.net.ssl.trustStore";
    private static final String TRUST_STORE_PASSWORD = "javax.net.ssl.trustStorePassword";

    @TempDir
    Path dir;

    @Test
    void redissVerifiesTheServerCertificateAndThenWorks() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Path trust = dir.resolve("trust.p12");
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString());
        run("keytool", "-importcert", "-noprompt", "-alias", "redis", "-file", cert.toString(),
                "-keystore", trust.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        int tlsPort = FreePorts.next();
        try (RedisServer redis = RedisServer.start("--tls-port", Integer.toString(tlsPort),
                "--tls-cert-file", cert.toString(), "--tls-key-file", key.toString(),
                "--tls-ca-cert-file", cert.toString(), "--tls-auth-clients", "no")) {
            SessionStoreConfig config = SessionStoreConfig.builder().redisUrl("rediss://127.0.0.1:" + tlsPort)
                    .connectTimeout(TestTimeouts.CONNECT).build();

            assertThatThrownBy(() -> SessionStores.redis(config)).as("a certificate nobody trusts is refused")
                    .isInstanceOf(StoreUnavailableException.class);

            String previous = System.getProperty(TRUST_STORE);
            String previousPassword = System.getProperty(TRUST_STORE_PASSWORD);
            System.setProperty(TRUST_STORE, trust.toString());
            System.setProperty(TRUST_STORE_PASSWORD, "changeit");
            try (SessionStore store = SessionStores.redis(config)) {
                store.append("tls-session", ChatMessage.user("over TLS"));
                assertThat(store.load("tls-session").orElseThrow().messages()).hasSize(1);
            } finally {
                restore(TRUST_STORE, previous);
                restore(TRUST_STORE_PASSWORD, previousPassword);
            }
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    private static void run(String... command) throws Exception {
        Programs.assumeInstalled(command[0], "needed to make a test certificate");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
    }
}

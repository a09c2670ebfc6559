package dev.airouter.benchmarks.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parts of {@link PeerBenchmark} that need neither wrk nor Node: reading wrk's report, writing its script. */
class PeerBenchmarkTest {
    private static final String WRK_LATENCY = """
            Running 10s test @ http://127.0.0.1:41234
              1 threads and 1 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency   812.33us  301.12us   9.87ms   91.02%
                Req/Sec     1.24k    80.11     1.40k    70.00%
              Latency Distribution
                 50%  745.00us
                 75%  850.00us
                 90%    1.02ms
                 99%    2.31ms
              12345 requests in 10.00s, 4.56MB read
              Non-2xx or 3xx responses: 3
            Requests/sec:   1234.50
            Transfer/sec:    466.79KB
            """;

    @Test
    void readsThroughputPercentilesAndFailuresFromWrk() throws IOException {
        PeerBenchmark.WrkResult r = PeerBenchmark.parse(WRK_LATENCY, true);
        assertThat(r.requestsPerSecond()).isEqualTo(1234.50);
        assertThat(r.requests()).isEqualTo(12345);
        assertThat(r.p50Millis()).isEqualTo(0.745);
        assertThat(r.p99Millis()).isEqualTo(2.31);
        assertThat(r.non2xx()).isEqualTo(3);
        assertThat(r.socketErrors()).isZero();
    }

    @Test
    void countsSocketErrorsAndRefusesOutputWithoutFigures() throws IOException {
        PeerBenchmark.WrkResult r = PeerBenchmark.parse("""
                  100 requests in 1.00s, 1KB read
                  Socket errors: connect 1, read 2, write 0, timeout 4
                Requests/sec:    100.00
                """, false);
        assertThat(r.socketErrors()).isEqualTo(7);
        assertThat(r.p50Millis()).isNaN();
        assertThatThrownBy(() -> PeerBenchmark.parse("unable to connect to 127.0.0.1:1 Connection refused", false))
                .isInstanceOf(IOException.class).hasMessageContaining("unexpected wrk output");
    }

    @Test
    void theScriptPostsEveryBodyInTurn() {
        String lua = PeerBenchmark.luaScript("/api/chat", List.of("{\"a\":1}", "{\"b\":\"]]\"}"));
        assertThat(lua).contains("[==[{\"a\":1}]==]", "[==[{\"b\":\"]]\"}]==]", "wrk.format(nil, \"/api/chat\"",
                "wrk.headers[\"Content-Type\"] = \"application/json\"");
    }
}

package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The meters' own cost for one chat request's events (HTTP start and end, two store calls, a router
 * call with its in-flight count, a turn), in this JVM without the rest of the backend: a guard
 * against a change that makes recording expensive (a meter registered per request, a lock), with a
 * loose bound. The end-to-end figure (backend CPU per request, metrics on vs off) is
 * {@code benchmarks/…/MetricsOverheadBenchmark}.
 */
class MetricsCostTest {

    @Test
    void recordingARequestsEventsCostsAboutAMicrosecond() {
        MicrometerMetrics metrics = new MicrometerMetrics(MicrometerMetrics.ownRegistry());
        metrics.bindJvm();
        try {
            List<Double> rounds = new ArrayList<>();
            for (int round = 0; round < 8; round++) {
                int n = 300_000;
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    metrics.requestStarted();
                    metrics.storeCall("load_tail", "ok", 120_000);
                    metrics.routerAcquired(0);
                    metrics.routerCall(0, "ok", 900_000);
                    metrics.routerReleased(0);
                    metrics.storeCall("append_after", "ok", 150_000);
                    metrics.turn(false, i & 15);
                    metrics.requestEnded("POST", "/api/chat", 200, 1_500_000);
                }
                rounds.add((System.nanoTime() - t0) / (double) n);
            }
            List<Double> warm = new ArrayList<>(rounds.subList(2, rounds.size()));
            Collections.sort(warm);
            double median = warm.get(warm.size() / 2);
            PrometheusMeterRegistry registry = (PrometheusMeterRegistry) metrics.registry();
            metrics.flush();
            String scrape = registry.scrape();
            System.out.printf("[metrics] one chat request's events: %.0f ns (median of %d warm rounds; all: %s);"
                    + " a scrape: %d characters%n", median, warm.size(), rounds, scrape.length());
            assertThat(median).as("ns per request's events").isLessThan(20_000);
            assertThat(scrape).contains("airouter_chat_turns_total{streamed=\"false\"} 2400000.0");
        } finally {
            metrics.close();
        }
    }
}

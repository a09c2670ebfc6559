package dev.airouter.backend;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Locale;

/**
 * {@code GET /metrics}: the registry in the Prometheus text format (0.0.4), or OpenMetrics 1.0 when
 * the scraper's {@code Accept} asks for {@code application/openmetrics-text} (Prometheus does). 404
 * with the reason when metrics are off, or when the registry an embedder gave is not a Prometheus
 * one.
 */
final class MetricsEndpoint {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    private final PrometheusMeterRegistry registry;
    private final Runnable flush;
    private final String unavailable;

    private MetricsEndpoint(PrometheusMeterRegistry registry, Runnable flush, String unavailable) {
        this.registry = registry;
        this.flush = flush;
        this.unavailable = unavailable;
    }

    static MetricsEndpoint off() {
        return new MetricsEndpoint(null, null, "metrics are off (metrics = false; the launcher's --no-metrics)");
    }

    /** @param metrics whose registry is served; its held events are applied before every scrape */
    static MetricsEndpoint of(MicrometerMetrics metrics) {
        MeterRegistry registry = metrics.registry();
        PrometheusMeterRegistry prometheus = find(registry);
        return prometheus != null ? new MetricsEndpoint(prometheus, metrics::flush, null) : new MetricsEndpoint(null,
                null, "the meters go to the application's own registry (" + registry.getClass().getSimpleName()
                        + "), which is not a Prometheus one; the application publishes them");
    }

    private static PrometheusMeterRegistry find(MeterRegistry registry) {
        if (registry instanceof PrometheusMeterRegistry prometheus) {
            return prometheus;
        }
        if (registry instanceof CompositeMeterRegistry composite) {
            for (MeterRegistry child : composite.getRegistries()) {
                PrometheusMeterRegistry found = find(child);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    Reply scrape(Call call) {
        if (registry == null) {
            throw new ApiError(404, "metrics unavailable", unavailable);
        }
        String accept = call.header("Accept").orElse("").toLowerCase(Locale.ROOT);
        String type = accept.contains("application/openmetrics-text") ? OPENMETRICS_TEXT
                : PROMETHEUS_TEXT;
        flush.run(); // every event recorded before this scrape is counted in it
        return Reply.text(200, type, registry.scrape(type));
    }
}

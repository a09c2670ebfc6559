package dev.airouter.lifecycle;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a {@link HealthCheck} with OkHttp and classifies the answer. */
final class HealthProber {
    private static final Logger LOG = LoggerFactory.getLogger(HealthProber.class);
    enum Outcome { HEALTHY, UNEXPECTED, UNREACHABLE }

    record Result(Outcome outcome, String detail) {
        boolean healthy() {
            return outcome == Outcome.HEALTHY;
        }
    }

    private static final int MAX_BODY = 64 * 1024;
    private final HealthCheck check;
    private final OkHttpClient client;

    HealthProber(HealthCheck check, OkHttpClient base) {
        this.check = check;
        this.client = base.newBuilder()
                .retryOnConnectionFailure(false)
                .followRedirects(false)
                .connectTimeout(check.timeout())
                .readTimeout(check.timeout())
                .callTimeout(check.timeout())
                .build();
    }

    static OkHttpClient defaultClient() {
        return new OkHttpClient.Builder()
                .retryOnConnectionFailure(false)
                .connectTimeout(1, TimeUnit.SECONDS)
                .readTimeout(2, TimeUnit.SECONDS)
                .build();
    }

    Result probe() {
        return probe(check.timeout());
    }

    Result probe(Duration timeout) {
        Call call = client.newCall(new Request.Builder().url(check.httpUrl()).get().build());
        call.timeout().timeout(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        try (Response response = call.execute()) {
            ResponseBody body = response.body();
            String text = body.source().request(MAX_BODY) ? body.source().getBuffer().readUtf8(MAX_BODY) : body.string();
            if (!response.isSuccessful()) {
                return new Result(Outcome.UNEXPECTED, "HTTP " + response.code() + " " + snippet(text));
            }
            if (!check.acceptsBody(text)) {
                return new Result(Outcome.UNEXPECTED, "HTTP " + response.code() + " with body " + snippet(text)
                        + ", expected " + check.expectation());
            }
            try {
                check.healthy(text);
            } catch (RuntimeException e) {
                LOG.warn("the onHealthyAnswer listener of {} threw; ignored", check, e);
            }
            return new Result(Outcome.HEALTHY, "HTTP " + response.code());
        } catch (IOException e) {
            return new Result(Outcome.UNREACHABLE, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static String snippet(String text) {
        String t = text.replaceAll("\\s+", " ").trim();
        return t.isEmpty() ? "(empty body)" : "'" + (t.length() > 120 ? t.substring(0, 120) + "…" : t) + "'";
    }
}

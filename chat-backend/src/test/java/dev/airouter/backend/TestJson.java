package dev.airouter.backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.testing.RawHttp;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * JSON for the backend's tests, on top of test-support's {@link RawHttp}, which stays free of a JSON
 * library (test-support depends on JUnit and the JDK only).
 */
final class TestJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TestJson() {}

    /** @return the response body as a JSON tree; fails the test, showing the body, when it is not JSON */
    static JsonNode json(RawHttp.Response response) {
        try {
            return MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (HTTP " + response.status() + "): " + response.text(), e);
        }
    }

    /** @return {@code value} (maps, lists, strings, numbers) as JSON text */
    static String toJson(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}

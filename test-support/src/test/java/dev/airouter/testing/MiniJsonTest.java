package dev.airouter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MiniJsonTest {
    @Test
    void readsAPrometheusQueryAnswer() {
        Object parsed = MiniJson.parse(" {\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                + "[{\"metric\":{\"__name__\":\"up\",\"path\":\"/a\\\"b\\\\c\\u00e9\\n\"},"
                + "\"value\":[1796387651.758,\"1\"]}]},"
                + "\"warnings\":[],\"x\":[true,false,null,-0.5e-3,0,12]}\n");
        assertThat(parsed).isEqualTo(Map.of(
                "status", "success",
                "data", Map.of("resultType", "vector", "result", List.of(Map.of(
                        "metric", Map.of("__name__", "up", "path", "/a\"b\\c\u00e9\n"),
                        "value", List.of(1796387651.758, "1")))),
                "warnings", List.of(),
                "x", Arrays.asList(true, false, null, -0.5e-3, 0.0, 12.0)));
    }

    @Test
    void rejectsWhatIsNotJson() {
        for (String bad : List.of("", "{", "{\"a\":1,}", "[1 2]", "\"unterminated", "01", "1.", "-", "tru",
                "{\"a\" 1}", "{\"a\":1,\"a\":2}", "\"\\x\"", "\"\\u12g4\"", "\"tab\there\"", "{} {}", "{'a':1}", "[".repeat(100))) {
            assertThatThrownBy(() -> MiniJson.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("invalid JSON at offset");
        }
    }
}

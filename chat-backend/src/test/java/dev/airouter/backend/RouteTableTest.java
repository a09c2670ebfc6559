package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Routing from the one table: templates with parameters of several kinds, 404, 405 + Allow, OPTIONS, HEAD. */
class RouteTableTest {
    private static final RouteTable.Endpoint OK = call -> Reply.ok(Map.of());
    private final List<String> preflights = new ArrayList<>();

    private final RouteTable table = RouteTable.builder()
            .post("/api/chat", OK)
            .get("/api/sessions/{id:session}", OK)
            .delete("/api/sessions/{id:session}", OK)
            .get("/api/sessions/stats", OK)
            .get("/api/replicas/{index:int}/log/{name}", OK)
            .monitor("/health", OK)
            .build();

    private RouteTable.Match match(HttpString method, String path) {
        return table.match(method, path, preflights::add);
    }

    @Test
    void matchesLiteralPathsAndMarksMonitorsAsExemptFromTheInFlightLimit() {
        assertThat(match(Methods.POST, "/api/chat").route().template()).isEqualTo("/api/chat");
        assertThat(match(Methods.POST, "/api/chat").hasBody()).isTrue();
        assertThat(match(Methods.POST, "/api/chat").limited()).isTrue();
        assertThat(match(Methods.GET, "/health").limited()).isFalse();
    }

    @Test
    void extractsParametersOfEveryKind() {
        assertThat(match(Methods.GET, "/api/sessions/abc-1").parameters()).containsEntry("id", "abc-1");
        assertThat(match(Methods.GET, "/api/replicas/2/log/stderr").parameters())
                .containsExactlyInAnyOrderEntriesOf(Map.of("index", "2", "name", "stderr"));
    }

    @Test
    void prefersTheTemplateWithMoreLiteralSegments() {
        assertThat(match(Methods.GET, "/api/sessions/stats").route().template()).isEqualTo("/api/sessions/stats");
    }

    @Test
    void aParameterOfTheWrongKindIsABadRequestNamingTheRule() {
        assertThatThrownBy(() -> match(Methods.GET, "/api/sessions/bad!id")).isInstanceOfSatisfying(ApiError.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.error()).isEqualTo("invalid sessionId");
            assertThat(e.details()).isEqualTo("the session id in the path must be 1-128 characters of [A-Za-z0-9_-]");
        });
        assertThatThrownBy(() -> match(Methods.GET, "/api/replicas/x/log/a")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.details()).contains("index in the path must be a whole number"));
    }

    @Test
    void aWrongMethodIsA405WithAllowEvenWhenTheParameterIsAlsoWrong() {
        assertThatThrownBy(() -> match(Methods.PUT, "/api/sessions/bad!id")).isInstanceOfSatisfying(ApiError.class, e -> {
            assertThat(e.status()).isEqualTo(405);
            assertThat(e.headers()).containsEntry("Allow", "GET, HEAD, DELETE, OPTIONS");
            assertThat(e.details()).contains("use GET, HEAD, DELETE");
        });
    }

    @Test
    void anUnknownPathIsA404ListingTheApiFromTheTable() {
        for (String path : List.of("/nope", "/api/chat/", "/api/sessions/", "/api/sessions/a/b", "")) {
            assertThatThrownBy(() -> match(Methods.GET, path)).as(path).isInstanceOfSatisfying(ApiError.class, e -> {
                assertThat(e.status()).isEqualTo(404);
                assertThat(e.details()).endsWith("the API has POST /api/chat, GET|DELETE /api/sessions/{id},"
                        + " GET /api/sessions/stats, GET /api/replicas/{index}/log/{name}, GET /health");
            });
        }
    }

    @Test
    void headIsAcceptedWhereverGetIsAndOptionsAnswersWithTheAllowedMethods() {
        assertThat(match(Methods.HEAD, "/health").route().method()).isEqualTo("GET");
        assertThat(match(Methods.OPTIONS, "/api/sessions/x")).isNull();
        assertThat(preflights).containsExactly("GET, HEAD, DELETE");
    }

    @Test
    void theTableRefusesDuplicateRowsAndMalformedTemplates() {
        assertThatThrownBy(() -> RouteTable.builder().get("/a/{id}", OK).get("/a/{id:session}", OK))
                .hasMessageContaining("GET /a/{id:session} is already in the table");
        assertThatThrownBy(() -> RouteTable.builder().get("/a/{id:uuid}", OK))
                .hasMessageContaining("bad parameter '{id:uuid}'");
        assertThatThrownBy(() -> RouteTable.builder().get("a", OK)).hasMessageContaining("starts with '/'");
        assertThatThrownBy(() -> RouteTable.builder().get("/x/{id:int}", OK).delete("/x/{id}", OK).build())
                .hasMessageContaining("/x/{id} and /x/{id:int} match the same paths with different parameters");
    }
}

package dev.airouter.backend;

import dev.airouter.session.ChatMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Exercises the request path's JSON code once while the router starts, so the first real request
 * does not pay for class loading and Jackson's serializer construction.
 */
final class Warmup {
    private Warmup() {}

    static void run(Json json) {
        ChatRequest request = ChatRequest.parse(json.parseObject(
                "{\"message\":\"warm-up\",\"sessionId\":\"warm-up\",\"useHistory\":true}".getBytes(StandardCharsets.UTF_8)),
                100);
        ChatMessage message = ChatMessage.user(request.message()).withMetadata(Map.of("agent", "warm-up"));
        RouteBudget.fit(List.of(message), RouterLimits.DEFAULTS, request.message(), "warm-up", null);
        json.bytes(Map.of("success", true, "message", message.content(), "metadata", message.metadata()));
        json.bytes(Responses.errorReply(ApiError.badRequest("warm-up", "warm-up")).body());
    }
}

package dev.airouter.backend;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.session.SessionIds;

/**
 * A validated {@code POST /api/chat} body.
 *
 * @param message the text, any Unicode string except empty/whitespace-only or over the limit
 * @param sessionId the client's session id, or {@code null} to start a new session
 * @param useHistory whether earlier messages are sent to the router (default true)
 * @param agent the agent the client asks for, or {@code null} to let the router choose
 */
record ChatRequest(String message, String sessionId, boolean useHistory, String agent) {
    private static final int MAX_AGENT_CHARS = RouteBudget.MAX_AGENT_CHARS;
    private static final String EXAMPLE = "; e.g. {\"message\":\"Hello\",\"sessionId\":\"my-session-1\"}";

    /**
     * @throws ApiError 400 naming the field at fault
     */
    static ChatRequest parse(JsonNode body, int maxCodePoints) {
        JsonNode message = body.get("message");
        if (message == null || message.isNull()) {
            throw ApiError.badRequest("message is required", "send a non-empty string in 'message'" + EXAMPLE);
        }
        if (!message.isTextual()) {
            throw ApiError.badRequest("message must be a string", "'message' is " + Json.type(message) + EXAMPLE);
        }
        String text = message.textValue();
        if (Text.isBlank(text)) {
            throw ApiError.badRequest("message is empty", "'message' must contain something other than whitespace");
        }
        int codePoints = text.codePointCount(0, text.length());
        if (codePoints > maxCodePoints) {
            throw ApiError.badRequest("message too long", "'message' has " + codePoints + " characters (code points);"
                    + " the limit is " + maxCodePoints);
        }
        int unpaired = unpairedSurrogate(text);
        if (unpaired >= 0) {
            throw ApiError.badRequest("message is not valid Unicode", "'message' has an unpaired surrogate (\\u"
                    + String.format("%04X", (int) text.charAt(unpaired)) + ") at UTF-16 index " + unpaired);
        }
        return new ChatRequest(text, sessionId(body.get("sessionId")), useHistory(body.get("useHistory")),
                agent(body.get("agent")));
    }

    private static String sessionId(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw ApiError.badRequest("invalid sessionId", "'sessionId' must be a string, got " + Json.type(node)
                    + "; omit it to start a new session");
        }
        String id = node.textValue();
        if (!SessionIds.isValid(id)) {
            throw ApiError.badRequest("invalid sessionId", "'sessionId' must be " + SessionIds.RULE
                    + "; omit it to start a new session");
        }
        return id;
    }

    private static boolean useHistory(JsonNode node) {
        if (node == null || node.isNull()) {
            return true;
        }
        if (!node.isBoolean()) {
            throw ApiError.badRequest("invalid useHistory", "'useHistory' must be true or false, got " + Json.type(node));
        }
        return node.booleanValue();
    }

    private static String agent(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw ApiError.badRequest("invalid agent", "'agent' must be a string (an agent name, or \"auto\"), got "
                    + Json.type(node));
        }
        String name = node.textValue().trim();
        if (name.isEmpty() || name.equals("auto")) {
            return null;
        }
        if (name.length() > MAX_AGENT_CHARS) {
            throw ApiError.badRequest("invalid agent", "'agent' has " + name.length() + " characters; agent names"
                    + " are at most " + MAX_AGENT_CHARS + " (GET /agents on the router lists them)");
        }
        return name;
    }

    /** @return the index of the first unpaired surrogate, or -1 */
    static int unpairedSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}

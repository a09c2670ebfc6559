package dev.airouter.backend;

import dev.airouter.session.ChatMessage;
import dev.airouter.session.SessionIds;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Fits a {@code POST /route} into the router's limits: which stored messages go along as history
 * (the newest ones, oldest first, at most {@code max_history_messages} of them, and only as many as
 * the body limit leaves room for once the query, the session id and the agent are in), and how long
 * a query can be at all.
 *
 * <p>Sizes are upper bounds of {@link Json}'s encoding, computed without serialising: UTF-8 (a
 * character outside the BMP is four bytes, as {@link Json} writes it), with every character that
 * JSON may escape counted as a six-byte {@code \\uXXXX}, so the body the router receives never
 * exceeds its limit.
 */
final class RouteBudget {
    /** {@code {"query":"","session_id":"","history":[],"agent":""}} is 52 bytes. */
    static final int ENVELOPE_BYTES = 64;
    /** {@code {"role":"","content":""},} is 25 bytes around the role and the content. */
    static final int PER_TURN_OVERHEAD = 32;
    /** Agent names longer than this are refused before they reach the router (see {@link ChatRequest}). */
    static final int MAX_AGENT_CHARS = 200;
    /** The most a code point can take in a JSON string: a control character escaped as {@code \\u00XX}. */
    private static final int MAX_BYTES_PER_CODE_POINT = 6;

    private RouteBudget() {}

    /** The smallest body limit that leaves room for a one-code-point query. */
    static long minBodyBytes() {
        return ENVELOPE_BYTES + SessionIds.MAX_LENGTH + (long) MAX_AGENT_CHARS * MAX_BYTES_PER_CODE_POINT
                + MAX_BYTES_PER_CODE_POINT;
    }

    /** The longest query (code points) whose request fits the body limit even with no history. */
    static int maxQueryCodePoints(RouterLimits limits) {
        long room = limits.maxBodyBytes() - ENVELOPE_BYTES - SessionIds.MAX_LENGTH
                - (long) MAX_AGENT_CHARS * MAX_BYTES_PER_CODE_POINT;
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, room / MAX_BYTES_PER_CODE_POINT));
    }

    /**
     * Chooses the history to send with one query.
     *
     * @param messages the stored messages, oldest first (only the tail the router can take need be loaded)
     * @param limits the router's limits
     * @param query the query being sent
     * @param sessionId the session id being sent
     * @param agent the agent being asked for, or {@code null}
     * @return the newest messages that fit, oldest first
     */
    static List<RouterClient.Turn> fit(List<ChatMessage> messages, RouterLimits limits, String query,
            String sessionId, String agent) {
        long budget = limits.maxBodyBytes() - ENVELOPE_BYTES - jsonBytes(query) - jsonBytes(sessionId)
                - (agent == null ? 0 : jsonBytes(agent));
        Deque<RouterClient.Turn> kept = new ArrayDeque<>();
        long used = 0;
        for (int i = messages.size() - 1; i >= 0 && kept.size() < limits.maxHistoryMessages(); i--) {
            ChatMessage m = messages.get(i);
            if (!m.role().equals(ChatMessage.USER) && !m.role().equals(ChatMessage.ASSISTANT)
                    && !m.role().equals(ChatMessage.SYSTEM)) {
                continue; // the router accepts only these roles
            }
            long size = jsonBytes(m.content()) + m.role().length() + PER_TURN_OVERHEAD;
            if (used + size > budget) {
                break;
            }
            used += size;
            kept.addFirst(new RouterClient.Turn(m.role(), m.content()));
        }
        return List.copyOf(kept);
    }

    /** An upper bound of the UTF-8 JSON string encoding of {@code text}, without the quotes. */
    static long jsonBytes(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f || c == 0x2028 || c == 0x2029) {
                bytes += 6;
            } else if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4; // one supplementary code point: four bytes of UTF-8
                i++;
            } else if (Character.isSurrogate(c)) {
                bytes += 6; // a lone surrogate cannot be UTF-8: escaped
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}

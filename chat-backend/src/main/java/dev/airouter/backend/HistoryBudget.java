package dev.airouter.backend;

import dev.airouter.session.ChatMessage;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Chooses which stored messages go to the router as history: the newest ones, oldest first, whose
 * JSON encoding fits the byte budget. The router refuses bodies over 1 MiB, so the default budget
 * (512 KiB) leaves room for the query (8,000 code points, at most 48 KB even if every character is
 * escaped as {@code \\uXXXX}) and the envelope. Sizes are computed as an upper bound of the JSON
 * encoding, without serializing.
 */
final class HistoryBudget {
    static final long DEFAULT_BYTES = 512 * 1024;
    private static final int PER_TURN_OVERHEAD = 40; // {"role":"assistant","content":""},

    private HistoryBudget() {}

    static List<RouterClient.Turn> fit(List<ChatMessage> messages, long budgetBytes) {
        Deque<RouterClient.Turn> kept = new ArrayDeque<>();
        long used = 0;
        for (int i = messages.size() - 1; i >= 0; i--) {
            ChatMessage m = messages.get(i);
            if (!m.role().equals(ChatMessage.USER) && !m.role().equals(ChatMessage.ASSISTANT)
                    && !m.role().equals(ChatMessage.SYSTEM)) {
                continue; // the router accepts only these roles
            }
            long size = jsonBytes(m.content()) + m.role().length() + PER_TURN_OVERHEAD;
            if (used + size > budgetBytes) {
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
            if (c < 0x20 || c == '"' || c == '\\') {
                bytes += 6;
            } else if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isSurrogate(c)) {
                bytes += 6; // a pair is 4 bytes in total; a lone one may be escaped
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}

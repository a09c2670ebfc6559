package dev.airouter.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts behind the Redis store. Each runs atomically inside Redis, so a session's keys are
 * never seen half-written, whichever connection or process sends it.
 *
 * <p>Keys of one session (hash tags keep them in one cluster slot): {@code KEYS[1]} = {@code
 * <prefix>{<id>}}, a hash with {@code v} (format version), {@code created}, {@code updated};
 * {@code KEYS[2]} = {@code …:messages}, a list of message JSON, oldest first; {@code KEYS[3]} = {@code
 * …:ids}, a list of the most recent message ids, used to skip a message appended twice (a client
 * retry, or a command replayed after a reconnect). All three carry the session's TTL.
 */
final class RedisScripts {
    /**
     * How many recent message ids an append checks for duplicates (the list keeps between this and
     * twice as many). A retry or replay comes within seconds, long before 64 other messages reach one
     * conversation; a longer window would make every append scan more.
     */
    static final int DEDUPE_WINDOW = 64;

    /**
     * ARGV: limit, ttlMillis, now, version, idWindow, then (messageId, json) pairs. Returns {size, added}.
     * Written for the steady state (a full history): it uses the lengths RPUSH returns instead of LLEN,
     * and trims the id list only once it has grown to twice the window.
     */
    static final Script APPEND = new Script("append", appendBody(6));

    /**
     * {@link #APPEND} on a condition. ARGV: limit, ttlMillis, now, version, idWindow, expectedLastId
     * ({@code ""}: the session must hold no message), then (messageId, json) pairs. Appends only if the
     * newest stored message's id is {@code expectedLastId}, else returns {@code {-1, 0}} and writes
     * nothing. The newest message is read from the messages list itself (its JSON's {@code id}), the
     * one list a load renews. A replay (the first message's id is among the recent ids: this very
     * append already went through, its reply was lost) skips the condition, and the duplicates are
     * skipped as by {@link #APPEND}.
     */
    static final Script APPEND_IF = new Script("appendIf", ""
            + "if not redis.call('LPOS', KEYS[3], ARGV[7], 'RANK', -1, 'MAXLEN', tonumber(ARGV[5])) then\n"
            + "  local last = redis.call('LINDEX', KEYS[2], -1)\n"
            + "  local lastId = ''\n"
            + "  if last then\n"
            + "    local ok, message = pcall(cjson.decode, last)\n"
            + "    if ok and type(message) == 'table' and type(message['id']) == 'string' then lastId = message['id'] end\n"
            + "  end\n"
            + "  if lastId ~= ARGV[6] then return {-1, 0} end\n"
            + "end\n"
            + appendBody(7).replace("return {size, added}\n",
                    // a read after the writes: Redis forgets a client's tracking of a key that client writes
                    // (NOLOOP only spares it the message), and the store keeps caching what it just appended
                    "redis.call('LLEN', KEYS[2])\nreturn {size, added}\n"));

    private static String appendBody(int firstPair) {
        return ""
            + "local limit = tonumber(ARGV[1])\n"
            + "local window = tonumber(ARGV[5])\n"
            + "local added, size, ids = 0, nil, 0\n"
            + "for i = " + firstPair + ", #ARGV, 2 do\n"
            + "  if not redis.call('LPOS', KEYS[3], ARGV[i], 'RANK', -1, 'MAXLEN', window) then\n"
            + "    ids = redis.call('RPUSH', KEYS[3], ARGV[i])\n"
            + "    size = redis.call('RPUSH', KEYS[2], ARGV[i + 1])\n"
            + "    added = added + 1\n"
            + "  end\n"
            + "end\n"
            + "if redis.call('HSET', KEYS[1], 'updated', ARGV[3], 'v', ARGV[4]) == 2 then\n"
            + "  redis.call('HSET', KEYS[1], 'created', ARGV[3])\n"
            + "end\n"
            + "if size == nil then size = redis.call('LLEN', KEYS[2]) end\n"
            + "if size > limit then\n"
            + "  redis.call('LTRIM', KEYS[2], -limit, -1)\n"
            + "  size = limit\n"
            + "end\n"
            + "if ids > 2 * window then redis.call('LTRIM', KEYS[3], -window, -1) end\n"
            + "for k = 1, 3 do redis.call('PEXPIRE', KEYS[k], ARGV[2]) end\n"
            + "return {size, added}\n";
    }

    /**
     * ARGV: ttlMillis. Returns {} if absent, else {flat meta hash, messages}; renews the TTL of the
     * hash and the messages (the id list is renewed by appends, the only readers of it).
     */
    static final Script LOAD = new Script("load", ""
            + "local meta = redis.call('HGETALL', KEYS[1])\n"
            + "if #meta == 0 then return {} end\n"
            + "redis.call('PEXPIRE', KEYS[1], ARGV[1])\n"
            + "redis.call('PEXPIRE', KEYS[2], ARGV[1])\n"
            + "return {meta, redis.call('LRANGE', KEYS[2], 0, -1)}\n");

    /**
     * ARGV: ttlMillis, lastN (0 or more). {@link #LOAD} returning only the newest lastN messages: a
     * negative {@code LRANGE} start reads just the tail however long the list, and clamps to the whole
     * list when it holds fewer. The start is joined as text, so it reaches Redis as Java wrote it
     * rather than through Lua's number formatting (which turns 1e17 into {@code 1e+17}). lastN 0
     * skips {@code LRANGE} (the TTL is renewed all the same): Redis refuses the text {@code -0}, and
     * as a number it would be {@code 0}, the whole list.
     */
    static final Script LOAD_TAIL = new Script("loadTail", ""
            + "local meta = redis.call('HGETALL', KEYS[1])\n"
            + "if #meta == 0 then return {} end\n"
            + "redis.call('PEXPIRE', KEYS[1], ARGV[1])\n"
            + "redis.call('PEXPIRE', KEYS[2], ARGV[1])\n"
            + "if tonumber(ARGV[2]) == 0 then return {meta, {}} end\n"
            + "return {meta, redis.call('LRANGE', KEYS[2], '-' .. ARGV[2], -1)}\n");

    /** ARGV: limit, ttlMillis, created, updated, version, idWindow, then (messageId, json) pairs. */
    static final Script SAVE = new Script("save", ""
            + "redis.call('DEL', KEYS[2], KEYS[3])\n"
            + "redis.call('HSET', KEYS[1], 'created', ARGV[3], 'updated', ARGV[4], 'v', ARGV[5])\n"
            + "for i = 7, #ARGV, 2 do\n"
            + "  redis.call('RPUSH', KEYS[3], ARGV[i])\n"
            + "  redis.call('RPUSH', KEYS[2], ARGV[i + 1])\n"
            + "end\n"
            + "redis.call('LTRIM', KEYS[2], -tonumber(ARGV[1]), -1)\n"
            + "redis.call('LTRIM', KEYS[3], -tonumber(ARGV[6]), -1)\n"
            + "for k = 1, 3 do redis.call('PEXPIRE', KEYS[k], ARGV[2]) end\n"
            + "return redis.call('LLEN', KEYS[2])\n");

    private RedisScripts() {}

    /** A script's source and its SHA-1, the name {@code EVALSHA} knows it by. */
    static final class Script {
        final String name;
        final String source;
        final String sha;

        Script(String name, String source) {
            this.name = name;
            this.source = source;
            this.sha = sha1(source);
        }

        private static String sha1(String text) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(digest);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has SHA-1", e);
            }
        }
    }
}

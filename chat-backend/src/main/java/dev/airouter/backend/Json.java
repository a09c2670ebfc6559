package dev.airouter.backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;

/**
 * JSON in and out. Request bodies are decoded as strict UTF-8 first (so invalid bytes get their own
 * error instead of a parser message), then parsed with duplicate keys and trailing data rejected.
 * Output is UTF-8 with a character outside the BMP written as its four bytes: Jackson's default
 * escapes it as two {@code \\uXXXX} surrogates, twelve bytes, which made emoji-heavy history three
 * times larger than {@link RouteBudget} reckoned. One instance per backend; thread-safe.
 */
final class Json {
    private final ObjectMapper mapper = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    ObjectMapper mapper() {
        return mapper;
    }

    /** Serializes a response body (maps, lists, strings, numbers, booleans, JsonNodes). */
    byte[] bytes(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a response body: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Parses a request body that must be a JSON object.
     *
     * @throws ApiError 400 for invalid UTF-8, malformed JSON, an empty body or a non-object
     */
    JsonNode parseObject(byte[] body) {
        String text = utf8(body);
        if (text.isBlank()) {
            throw ApiError.badRequest("request body is empty", "send a JSON object, e.g. {\"message\":\"Hello\"}");
        }
        JsonNode node;
        try {
            node = mapper.readTree(text);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("malformed JSON", describe(e));
        }
        if (node == null || !node.isObject()) {
            throw ApiError.badRequest("request body must be a JSON object",
                    "got " + type(node) + "; send e.g. {\"message\":\"Hello\"}");
        }
        return node;
    }

    static String type(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "null";
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isNumber()) {
            return "a number";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        return node.isArray() ? "an array" : "an object";
    }

    private static String utf8(byte[] body) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(body);
        try {
            return decoder.decode(in).toString();
        } catch (MalformedInputException e) {
            throw ApiError.badRequest("request body is not valid UTF-8",
                    "invalid byte sequence at byte offset " + in.position() + "; encode the body as UTF-8");
        } catch (CharacterCodingException e) {
            throw ApiError.badRequest("request body is not valid UTF-8", "encode the body as UTF-8");
        }
    }

    /** The parser's reason and position, without the source excerpt (it may quote message text). */
    private static String describe(JsonProcessingException e) {
        String reason = e.getOriginalMessage();
        if (reason.length() > 200) {
            reason = reason.substring(0, 200) + "…";
        }
        com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
        return at == null ? reason : reason + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}

package dev.airouter.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Decoding of the Redis replies the fixtures read: {@code INFO} text and Sentinel's field lists. */
final class RedisReplies {
    private RedisReplies() {}

    /**
     * @param info an {@code INFO} reply: {@code field:value} lines and {@code # Section} headers
     * @return its fields in order
     */
    static Map<String, String> infoFields(Object info) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : String.valueOf(info).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return fields;
    }

    /**
     * @param reply a {@code SENTINEL replicas|sentinels} reply: an array of flat name/value arrays
     * @return one map per instance
     */
    static List<Map<String, String>> instances(Object reply) {
        List<Map<String, String>> instances = new ArrayList<>();
        for (Object instance : (List<?>) reply) {
            List<?> flat = (List<?>) instance;
            Map<String, String> fields = new LinkedHashMap<>();
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                fields.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
            }
            instances.add(fields);
        }
        return instances;
    }

    /**
     * @param reply a {@code SENTINEL get-master-addr-by-name} reply: {@code [ip, port]}, or nil
     * @return the port, or -1 for nil (the sentinel does not know the master name)
     */
    static int masterPort(Object reply) {
        return reply == null ? -1 : Integer.parseInt(String.valueOf(((List<?>) reply).get(1)));
    }
}

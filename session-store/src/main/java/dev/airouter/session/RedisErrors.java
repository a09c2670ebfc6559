package dev.airouter.session;

/** Which Redis error replies describe a state that passes (the caller should answer 503, not 500). */
final class RedisErrors {
    private static final String[] TRANSIENT = {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN",
        "READONLY", "NOREPLICAS", "OOM"};

    private RedisErrors() {}

    static boolean isTransient(String message) {
        if (message == null) {
            return false;
        }
        for (String prefix : TRANSIENT) {
            if (message.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}

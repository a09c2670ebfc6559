package dev.airouter.session;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import java.time.Duration;

/**
 * Maps Lettuce's exceptions to the store's: whatever the caller should answer with 503 (timeouts, a
 * lost connection, Redis states that pass such as {@code LOADING}) becomes {@link
 * StoreUnavailableException}; any other error reply is a {@link SessionStoreException}.
 */
final class RedisErrors {
    private static final String[] TRANSIENT = {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN",
        "READONLY", "NOREPLICAS", "OOM", "MOVED", "ASK",
        "UNBLOCKED"}; // a WAIT ended by a failover that demoted its node

    private RedisErrors() {}

    static SessionStoreException translate(String operation, String target, Duration timeout, RedisException e) {
        if (e instanceof RedisCommandTimeoutException) {
            return new StoreUnavailableException(operation, target, "no answer within " + timeout.toMillis() + " ms", e);
        }
        if (e instanceof RedisCommandInterruptedException) {
            Thread.currentThread().interrupt(); // Lettuce sets it too; make sure it stays set
            return new SessionStoreException("session store " + operation + " interrupted", e);
        }
        if (e instanceof RedisCommandExecutionException) {
            if (isTransient(e.getMessage())) {
                return new StoreUnavailableException(operation, target, e.getMessage(), e);
            }
            return new SessionStoreException("session store " + operation + " failed on " + target + ": "
                    + e.getMessage(), e);
        }
        return new StoreUnavailableException(operation, target, RedisConnector.reason(e), e);
    }

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

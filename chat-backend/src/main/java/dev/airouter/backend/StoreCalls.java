package dev.airouter.backend;

import dev.airouter.session.InvalidSessionIdException;
import dev.airouter.session.SessionStoreException;
import dev.airouter.session.StoreUnavailableException;
import java.util.function.Supplier;

/** Runs a session store call and turns its exceptions into API errors (400 / 503). */
final class StoreCalls {
    private StoreCalls() {}

    static <T> T call(Supplier<T> operation) {
        try {
            return operation.get();
        } catch (InvalidSessionIdException e) {
            throw ApiError.badRequest("invalid sessionId", e.getMessage());
        } catch (StoreUnavailableException e) {
            throw ApiError.unavailable("session store unavailable", "the session store (" + e.target()
                    + ") did not answer " + e.operation() + ": " + e.reason()
                    + "; it reconnects by itself when the store is back, retry shortly");
        } catch (SessionStoreException e) {
            throw ApiError.unavailable("session store unavailable", e.getMessage());
        }
    }
}

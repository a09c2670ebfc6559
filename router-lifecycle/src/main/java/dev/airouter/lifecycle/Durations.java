package dev.airouter.lifecycle;

import java.time.Duration;
import java.util.Objects;

/** Validation helpers for durations given to builders. */
final class Durations {
    private Durations() {}

    static Duration positive(String setting, Duration value) {
        Objects.requireNonNull(value, setting);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(setting + " must be positive, was " + value);
        }
        return value;
    }

    static Duration nonNegative(String setting, Duration value) {
        Objects.requireNonNull(value, setting);
        if (value.isNegative()) {
            throw new IllegalArgumentException(setting + " must not be negative, was " + value);
        }
        return value;
    }
}

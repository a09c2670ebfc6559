package dev.airouter.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Median and spread of repeated measurements, in milliseconds. */
public final class Stats {
    private final List<Double> values;

    private Stats(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        this.values = List.copyOf(sorted);
    }

    /**
     * @param values the measurements
     * @return their statistics
     */
    public static Stats of(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no measurements");
        }
        return new Stats(values);
    }

    /**
     * @param q quantile between 0 and 1 (nearest rank)
     * @return the value at that quantile
     */
    public double quantile(double q) {
        int index = (int) Math.ceil(q * values.size()) - 1;
        return values.get(Math.max(0, Math.min(values.size() - 1, index)));
    }

    /** @return the median */
    public double median() {
        return quantile(0.5);
    }

    /** @return the 90th percentile */
    public double p90() {
        return quantile(0.9);
    }

    /** @return the smallest value */
    public double min() {
        return values.get(0);
    }

    /** @return the largest value */
    public double max() {
        return values.get(values.size() - 1);
    }

    /** @return how many measurements */
    public int count() {
        return values.size();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "median %.1f ms, p90 %.1f ms, min %.1f, max %.1f (n=%d)",
                median(), p90(), min(), max(), count());
    }
}

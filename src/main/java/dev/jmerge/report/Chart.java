package dev.jmerge.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One plot of a report: series of values over categories (layers, or tensor names outside the layers),
 * drawn as lines with points. A value is NaN where a series has none.
 *
 * @param yMin the lowest value the axis must show (e.g. 0 for shares), or NaN to fit the data
 * @param yMax the highest value the axis must show, or NaN to fit the data
 */
public record Chart(String title, String xLabel, String yLabel, List<String> categories, List<Series> series,
                    double yMin, double yMax) {

    public Chart {
        categories = List.copyOf(categories);
        series = List.copyOf(series);
        for (Series s : series) {
            if (s.values().length != categories.size()) {
                throw new IllegalArgumentException("series '" + s.name() + "' has " + s.values().length
                        + " values for " + categories.size() + " categories");
            }
        }
    }

    /** One line of a chart: a value per category, NaN where it has none. */
    public record Series(String name, double[] values) {}

    /** Whether there is anything to draw. */
    public boolean isEmpty() {
        for (Series s : series) for (double v : s.values()) if (Double.isFinite(v)) return false;
        return true;
    }

    /**
     * Collects values by series and category, in any order. Categories that are layer numbers come first,
     * ascending, then the others in the order they were first given; series keep the order they were first given.
     */
    public static final class Builder {
        private final String title;
        private final String xLabel;
        private final String yLabel;
        private double yMin = Double.NaN;
        private double yMax = Double.NaN;
        private final Map<String, Map<String, Double>> values = new LinkedHashMap<>();
        private final List<String> categories = new ArrayList<>();

        public Builder(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        /** The axis shows at least {@code [min, max]} (NaN leaves a side to the data). */
        public Builder range(double min, double max) {
            yMin = min;
            yMax = max;
            return this;
        }

        /** Declares a series (so its place in the legend is fixed even before it has values). */
        public Builder series(String name) {
            values.computeIfAbsent(name, k -> new LinkedHashMap<>());
            return this;
        }

        public Builder put(String series, String category, double value) {
            if (!categories.contains(category)) categories.add(category);
            values.computeIfAbsent(series, k -> new LinkedHashMap<>()).put(category, value);
            return this;
        }

        public Builder put(String series, Integer layer, String otherwise, double value) {
            return put(series, layer != null ? layer.toString() : otherwise, value);
        }

        public Chart build() {
            List<String> order = new ArrayList<>();
            categories.stream().filter(Builder::isLayer).mapToInt(Integer::parseInt).sorted()
                    .forEach(i -> order.add(Integer.toString(i)));
            categories.stream().filter(c -> !isLayer(c)).forEach(order::add);
            List<Series> series = new ArrayList<>();
            values.forEach((name, byCategory) -> {
                double[] v = new double[order.size()];
                Arrays.fill(v, Double.NaN);
                for (int i = 0; i < order.size(); i++) {
                    Double x = byCategory.get(order.get(i));
                    if (x != null) v[i] = x;
                }
                series.add(new Series(name, v));
            });
            return new Chart(title, xLabel, yLabel, order, series, yMin, yMax);
        }

        private static boolean isLayer(String c) { return !c.isEmpty() && c.length() < 10 && c.chars().allMatch(Character::isDigit); }
    }
}

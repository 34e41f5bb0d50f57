package dev.jmerge.report;

import java.util.List;
import java.util.Locale;

/**
 * Draws a {@link Chart} as inline SVG: a value axis with round ticks, categories spread evenly along the other
 * axis, one coloured line with points per series (each point's value in its tooltip), and an HTML legend.
 */
final class SvgChart {

    static final int WIDTH = 560;
    static final int HEIGHT = 300;
    private static final int LEFT = 64;
    private static final int RIGHT = 14;
    private static final int TOP = 34;
    private static final int BOTTOM = 62;
    /** Tableau 10: distinct on screen and for most colour-blind readers. */
    static final List<String> COLORS = List.of("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
            "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac");
    private static final List<String> DASHES = List.of("", "6 3", "2 3", "8 3 2 3");

    private SvgChart() {}

    static String color(int series) { return COLORS.get(series % COLORS.size()); }

    private static String dash(int series) { return DASHES.get(series / COLORS.size() % DASHES.size()); }

    /** The chart's figure: title, SVG plot and legend. */
    static String figure(Chart c) {
        StringBuilder sb = new StringBuilder();
        sb.append("<figure class=\"chart-box\">\n");
        svg(c, sb);
        sb.append("<figcaption class=\"legend\">");
        for (int i = 0; i < c.series().size(); i++) {
            sb.append("<span><i style=\"background:").append(color(i)).append("\"></i>")
                    .append(Html.escape(c.series().get(i).name())).append("</span>");
        }
        sb.append("</figcaption>\n</figure>\n");
        return sb.toString();
    }

    private static void svg(Chart c, StringBuilder sb) {
        int plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
        sb.append(String.format(Locale.ROOT, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\""
                + " xmlns=\"http://www.w3.org/2000/svg\">%n", WIDTH, HEIGHT, Html.escape(c.title())));
        sb.append(String.format(Locale.ROOT, "<text class=\"title\" x=\"%d\" y=\"20\">%s</text>%n", LEFT,
                Html.escape(c.title())));
        Axis y = Axis.of(c);
        // value axis: grid lines and tick labels
        for (double v = y.lo; v <= y.hi + y.step / 2; v += y.step) {
            double py = TOP + plotH - (v - y.lo) / (y.hi - y.lo) * plotH;
            sb.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                    + "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    LEFT, LEFT + plotW, py, py, LEFT - 6, py + 4, y.label(v)));
        }
        sb.append(String.format(Locale.ROOT, "<text class=\"axis\" transform=\"translate(14 %d) rotate(-90)\""
                + " text-anchor=\"middle\">%s</text>%n", TOP + plotH / 2, Html.escape(c.yLabel())));
        // category axis
        int n = c.categories().size();
        boolean numeric = c.categories().stream().allMatch(s -> s.chars().allMatch(Character::isDigit));
        int every = Math.max(1, (int) Math.ceil(n / (numeric ? 16.0 : 8.0)));
        sb.append(String.format(Locale.ROOT, "<line class=\"frame\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>%n",
                LEFT, LEFT + plotW, TOP + plotH, TOP + plotH));
        for (int i = 0; i < n; i += every) {
            double px = x(i, n, plotW);
            String label = shortened(c.categories().get(i));
            if (numeric) {
                sb.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                        px, TOP + plotH + 16, Html.escape(label)));
            } else {
                sb.append(String.format(Locale.ROOT, "<text class=\"tick\" transform=\"translate(%.1f %d) rotate(-20)\""
                        + " text-anchor=\"end\">%s</text>%n", px + 4, TOP + plotH + 14, Html.escape(label)));
            }
        }
        sb.append(String.format(Locale.ROOT, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                LEFT + plotW / 2, HEIGHT - 6, Html.escape(c.xLabel())));
        // series
        for (int s = 0; s < c.series().size(); s++) {
            Chart.Series series = c.series().get(s);
            double[] v = series.values();
            String col = color(s);
            StringBuilder path = new StringBuilder();
            boolean open = false;
            for (int i = 0; i < n; i++) {
                if (!Double.isFinite(v[i])) {
                    open = false;
                    continue;
                }
                path.append(String.format(Locale.ROOT, "%s%.1f %.1f ", open ? "L" : "M", x(i, n, plotW), y.px(v[i], plotH)));
                open = true;
            }
            if (!path.isEmpty()) {
                sb.append(String.format(Locale.ROOT, "<path class=\"line\" d=\"%s\" stroke=\"%s\"%s/>%n", path.toString().strip(),
                        col, dash(s).isEmpty() ? "" : " stroke-dasharray=\"" + dash(s) + "\""));
            }
            double r = n > 48 ? 2 : 3;
            for (int i = 0; i < n; i++) {
                if (!Double.isFinite(v[i])) continue;
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"><title>%s, %s %s: %s"
                                + "</title></circle>%n", x(i, n, plotW), y.px(v[i], plotH), r, col, Html.escape(series.name()),
                        Html.escape(c.xLabel()), Html.escape(c.categories().get(i)), Html.number(v[i])));
            }
        }
        if (c.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "<text class=\"empty\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">no values</text>%n",
                    LEFT + plotW / 2, TOP + plotH / 2));
        }
        sb.append("</svg>\n");
    }

    private static double x(int i, int n, int plotW) { return LEFT + (i + 0.5) * plotW / n; }

    private static String shortened(String category) {
        return category.length() <= 22 ? category : "…" + category.substring(category.length() - 21);
    }

    /** The value axis: round ticks covering the data and the chart's fixed range. */
    private record Axis(double lo, double hi, double step) {

        static Axis of(Chart c) {
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
            for (Chart.Series s : c.series()) {
                for (double v : s.values()) {
                    if (!Double.isFinite(v)) continue;
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            if (!Double.isNaN(c.yMin())) min = Math.min(min, c.yMin());
            if (!Double.isNaN(c.yMax())) max = Math.max(max, c.yMax());
            if (min > max) {
                min = 0;
                max = 1;
            }
            if (min == max) {
                double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
                min -= pad;
                max += pad;
            }
            double step = nice((max - min) / 4);
            double lo = Math.floor(min / step) * step, hi = Math.ceil(max / step) * step;
            return new Axis(lo, hi, step);
        }

        /** The round step (1, 2 or 5 times a power of ten) nearest {@code x}. */
        static double nice(double x) {
            double e = Math.pow(10, Math.floor(Math.log10(x)));
            double f = x / e;
            return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * e;
        }

        double px(double v, int plotH) { return TOP + plotH - (v - lo) / (hi - lo) * plotH; }

        String label(double v) {
            if (Math.abs(v) < step * 1e-9) return "0";
            double mag = Math.max(Math.abs(lo), Math.abs(hi));
            if (mag >= 1e5 || mag < 1e-3) return String.format(Locale.ROOT, "%.2g", v);
            int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
            return String.format(Locale.ROOT, "%." + decimals + "f", v);
        }
    }
}

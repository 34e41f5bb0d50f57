package dev.jmerge.report;

import java.util.Locale;

/**
 * Renders a {@link ReportPage} as one self-contained HTML file: inline CSS and SVG, no script, nothing
 * fetched, so it opens from disk anywhere. Charts sit in a grid that gives two columns on a laptop screen.
 */
public final class HtmlPage {

    private static final String CSS = """
            :root { color-scheme: light; --fg: #1d2330; --muted: #5b6475; --line: #dde1e8; --accent: #4e79a7; }
            * { box-sizing: border-box; }
            body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
                   background: #f6f7f9; }
            main { max-width: 1360px; margin: 0 auto; padding: 20px 24px 40px; }
            h1 { font-size: 22px; margin: 0 0 10px; }
            h2 { font-size: 17px; margin: 28px 0 6px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
            .facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0 0 8px; }
            .facts div { display: flex; gap: 6px; }
            .facts dt { color: var(--muted); }
            .facts dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
            nav { display: flex; flex-wrap: wrap; gap: 14px; margin: 6px 0 0; }
            nav a { color: var(--accent); text-decoration: none; }
            .note { color: var(--muted); margin: 4px 0 10px; }
            .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(430px, 1fr)); gap: 14px; }
            figure.chart-box { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px 8px; }
            svg.chart { display: block; width: 100%; height: auto; font-size: 11px; }
            svg .title { font-size: 13px; font-weight: 600; fill: var(--fg); }
            svg .tick { fill: var(--muted); }
            svg .axis { fill: var(--muted); font-size: 11px; }
            svg .grid { stroke: #eceef2; stroke-width: 1; }
            svg .frame { stroke: #9aa2b1; stroke-width: 1; }
            svg .line { fill: none; stroke-width: 1.7; stroke-linejoin: round; }
            svg .empty { fill: var(--muted); font-size: 13px; }
            .legend { display: flex; flex-wrap: wrap; gap: 2px 14px; padding: 2px 4px 0; color: var(--fg); font-size: 12px; }
            .legend span { display: inline-flex; align-items: center; gap: 5px; overflow-wrap: anywhere; }
            .legend i { width: 14px; height: 4px; border-radius: 2px; display: inline-block; flex: none; }
            .table-wrap { overflow: auto; max-height: 70vh; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
            table { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
            th, td { padding: 3px 10px; border-bottom: 1px solid #eef0f3; text-align: right; white-space: nowrap; }
            th { position: sticky; top: 0; background: #eef1f5; font-weight: 600; }
            th:first-child, td:first-child { text-align: left; position: sticky; left: 0; background: inherit; }
            td:first-child { background: #fff; }
            pre { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow: auto;
                  font-size: 12px; }
            footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
            """;

    private HtmlPage() {}

    public static String render(ReportPage page) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<link rel=\"icon\" href=\"data:,\">\n")
                .append("<title>").append(Html.escape(page.title())).append("</title>\n")
                .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<main>\n");
        sb.append("<h1>").append(Html.escape(page.title())).append("</h1>\n<dl class=\"facts\">\n");
        for (ReportPage.Fact f : page.facts()) {
            sb.append("<div><dt>").append(Html.escape(f.label())).append("</dt><dd>").append(Html.escape(f.value()))
                    .append("</dd></div>\n");
        }
        sb.append("</dl>\n<nav>");
        for (ReportPage.Section s : page.sections()) {
            sb.append("<a href=\"#").append(anchor(s.title())).append("\">").append(Html.escape(s.title())).append("</a>");
        }
        if (page.table() != null) sb.append("<a href=\"#table\">").append(Html.escape(page.table().title())).append("</a>");
        if (page.config() != null) sb.append("<a href=\"#config\">Config</a>");
        sb.append("</nav>\n");
        for (ReportPage.Section s : page.sections()) {
            sb.append("<section id=\"").append(anchor(s.title())).append("\">\n<h2>").append(Html.escape(s.title()))
                    .append("</h2>\n");
            if (s.note() != null) sb.append("<p class=\"note\">").append(Html.escape(s.note())).append("</p>\n");
            sb.append("<div class=\"charts\">\n");
            for (Chart c : s.charts()) sb.append(SvgChart.figure(c));
            sb.append("</div>\n</section>\n");
        }
        if (page.table() != null) table(page.table(), sb);
        if (page.config() != null) {
            sb.append("<section id=\"config\">\n<h2>Config</h2>\n<pre>").append(Html.escape(page.config()))
                    .append("</pre>\n</section>\n");
        }
        sb.append("<footer>Made by jmerge. Hover a point for its value.</footer>\n</main>\n</body>\n</html>\n");
        return sb.toString();
    }

    private static void table(ReportPage.Table t, StringBuilder sb) {
        sb.append("<section id=\"table\">\n<h2>").append(Html.escape(t.title())).append("</h2>\n")
                .append("<div class=\"table-wrap\">\n<table>\n<thead><tr>");
        for (String h : t.header()) sb.append("<th>").append(Html.escape(h)).append("</th>");
        sb.append("</tr></thead>\n<tbody>\n");
        for (var row : t.rows()) {
            sb.append("<tr>");
            for (String cell : row) sb.append("<td>").append(Html.escape(cell)).append("</td>");
            sb.append("</tr>\n");
        }
        sb.append("</tbody>\n</table>\n</div>\n</section>\n");
    }

    private static String anchor(String title) {
        return title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
}

package dev.jmerge.report;

import java.util.List;

/**
 * A report as a page: a title, a few facts, sections of charts, a table and the config. Any command builds
 * one from its own numbers and writes it with {@link ReportFiles}; {@link HtmlPage} renders it.
 *
 * @param config the configuration shown verbatim at the end (YAML, a command line), or null
 */
public record ReportPage(String title, List<Fact> facts, List<Section> sections, Table table, String config) {

    public ReportPage {
        facts = List.copyOf(facts);
        sections = List.copyOf(sections);
    }

    public record Fact(String label, String value) {}

    /** A group of charts under a heading; {@code note} (or null) is a line under it. */
    public record Section(String title, String note, List<Chart> charts) {
        public Section {
            charts = List.copyOf(charts);
        }
    }

    /** Rows of cells, already formatted; {@code header} names the columns. */
    public record Table(String title, List<String> header, List<List<String>> rows) {
        public Table {
            header = List.copyOf(header);
            rows = rows.stream().map(List::copyOf).toList();
        }
    }
}

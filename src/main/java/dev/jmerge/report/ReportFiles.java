package dev.jmerge.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes {@code report.json} and {@code report.html} into a folder, each file replaced whole or not at all. */
public final class ReportFiles {

    public static final String JSON = "report.json";
    public static final String HTML = "report.html";

    private ReportFiles() {}

    /**
     * @param json the report's numbers, already rendered
     * @throws UncheckedIOException when a file cannot be written (the caller names the folder to the user)
     */
    public static void write(Path dir, String json, ReportPage page) {
        try {
            Files.createDirectories(dir);
            replace(dir.resolve(JSON), json);
            replace(dir.resolve(HTML), HtmlPage.render(page));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** As {@link #write(Path, String, ReportPage)} with the numbers as a JSON tree (written indented). */
    public static void write(Path dir, tools.jackson.databind.JsonNode json, ReportPage page) {
        write(dir, tools.jackson.databind.json.JsonMapper.shared().writerWithDefaultPrettyPrinter()
                .writeValueAsString(json) + "\n", page);
    }

    /** A merge's report. */
    public static void write(Path dir, MergeReport report) {
        write(dir, MergeReportJson.render(report), MergeReportPage.of(report));
    }

    private static void replace(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".partial");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

package dev.jmerge.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.jmerge.e2e.Cli;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * report.html of real merges of the example models, opened in headless Chromium at a laptop's 1366×768: no
 * console error or exception, nothing fetched but the file itself, no sideways scrolling, every chart at a
 * readable size, and every chart's screenshot showing its lines in the series colours. Skipped only where
 * chromium is missing outside CI ({@code .ci/run} installs it and sets JMERGE_REQUIRE_CHROMIUM).
 */
class ReportPageChromiumTest {

    static final int WIDTH = 1366, HEIGHT = 768;

    @TempDir
    static Path tmp;

    static Path chromium;

    @BeforeAll
    static void findChromium() {
        chromium = HeadlessChromium.find();
        if (chromium == null) {
            String why = "chromium is not installed (Debian: apt-get install chromium)";
            if (System.getenv("JMERGE_REQUIRE_CHROMIUM") != null) fail(why + ", and JMERGE_REQUIRE_CHROMIUM is set");
            Assumptions.abort(why + "; the report page test is skipped");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ties", "model_stock", "linear"})
    void theReportPageDrawsItsChartsWithoutErrors(String method) throws Exception {
        Path out = tmp.resolve(method);
        Cli r = Cli.run("examples/" + method + ".yml", out.toString(), "--report", "--quiet", "--random-seed", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode layout = checkPage(out.resolve("report.html"), 8);
        assertThat(HeadlessChromium.list(layout.get("sections")))
                .contains("Attention", "MLP", "Norms", "Embeddings", "Tensors", "Config");
        assertThat(layout.get("rows").asInt()).isEqualTo(21);
    }

    @Test
    void theMoeReportPageDrawsItsChartsWithoutErrors() throws Exception {
        Path out = tmp.resolve("moe");
        Cli r = Cli.run("moe", "examples/moe.yml", out.toString(), "--report", "--quiet");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode layout = checkPage(out.resolve("report.html"), 4);
        assertThat(HeadlessChromium.list(layout.get("sections")))
                .contains("Router", "Experts' MLPs against the base", "Layers", "Config");
        assertThat(layout.get("rows").asInt()).isEqualTo(2);
    }

    /**
     * Opens {@code html}: no console errors, nothing fetched, no sideways scroll, at least {@code minCharts} charts,
     * each drawn; returns the page's layout (sections, table rows).
     */
    private JsonNode checkPage(Path html, int minCharts) throws Exception {
        try (HeadlessChromium browser = new HeadlessChromium(chromium, WIDTH, HEIGHT)) {
            browser.open(html);
            JsonNode layout = browser.evaluate("""
                    JSON.parse(JSON.stringify({
                      scrollWidth: document.documentElement.scrollWidth,
                      charts: [...document.querySelectorAll('svg.chart')].map(s => {
                        const r = s.getBoundingClientRect();
                        return {x: r.x + window.scrollX, y: r.y + window.scrollY, w: r.width, h: r.height,
                                lines: s.querySelectorAll('path.line').length, points: s.querySelectorAll('circle').length};
                      }),
                      sections: [...document.querySelectorAll('section h2')].map(h => h.textContent),
                      rows: document.querySelectorAll('#table tbody tr').length
                    }))""");
            assertThat(browser.problems()).as("console errors and exceptions").isEmpty();
            assertThat(browser.requests()).as("what the page fetched").allMatch(u -> u.startsWith("file:") || u.startsWith("data:"));
            assertThat(layout.get("scrollWidth").asInt()).as("page width at %d px", WIDTH).isLessThanOrEqualTo(WIDTH);
            List<JsonNode> charts = new java.util.ArrayList<>();
            layout.get("charts").forEach(charts::add);
            assertThat(charts).hasSizeGreaterThanOrEqualTo(minCharts);
            for (JsonNode c : charts) {
                assertThat(c.get("w").asDouble()).as("chart width").isGreaterThanOrEqualTo(380);
                assertThat(c.get("h").asDouble()).as("chart height").isGreaterThanOrEqualTo(200);
                assertThat(c.get("points").asInt()).as("points drawn").isPositive();
                BufferedImage png = ImageIO.read(new ByteArrayInputStream(browser.screenshot(c.get("x").asDouble(),
                        c.get("y").asDouble(), c.get("w").asDouble(), c.get("h").asDouble())));
                assertDrawn(png, c);
            }
            assertThat(browser.problems()).as("console errors and exceptions").isEmpty();
            return layout;
        }
    }

    /**
     * The chart's region is not blank: it shows ink, and pixels in the series colours where the lines are (lines
     * of equal values lie on one another, so any series' colour counts).
     */
    static void assertDrawn(BufferedImage png, JsonNode chart) {
        int ink = 0, series = 0;
        int[] colours = SvgChart.COLORS.stream().mapToInt(c -> Integer.parseInt(c.substring(1), 16)).toArray();
        for (int y = 0; y < png.getHeight(); y++) {
            for (int x = 0; x < png.getWidth(); x++) {
                int rgb = png.getRGB(x, y) & 0xFFFFFF;
                if (distance(rgb, 0xFFFFFF) > 60) ink++;
                for (int c : colours) {
                    if (distance(rgb, c) < 40) {
                        series++;
                        break;
                    }
                }
            }
        }
        int pixels = png.getWidth() * png.getHeight();
        assertThat(ink).as("non-white pixels of chart %s", chart).isGreaterThan(pixels / 100);
        assertThat(series).as("pixels in the series' colours, chart %s", chart).isGreaterThan(100);
    }

    private static int distance(int a, int b) {
        return Math.abs((a >> 16) - (b >> 16)) + Math.abs((a >> 8 & 0xFF) - (b >> 8 & 0xFF)) + Math.abs((a & 0xFF) - (b & 0xFF));
    }
}

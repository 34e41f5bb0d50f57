/**
 * {@code --report}: report.json and report.html, drawn from plain records of names and numbers. Nothing here
 * knows the pipeline; the pipeline hands its numbers out ({@code methods.MergeStats}, {@code exec.TensorStats})
 * and the commands turn them into these records.
 *
 * <p>A merge's report is a {@link dev.jmerge.report.MergeReport} ({@link dev.jmerge.report.ReportFiles#write(
 * java.nio.file.Path, dev.jmerge.report.MergeReport)}), an extracted adapter's an
 * {@link dev.jmerge.report.ExtractReport}. Another command (such as {@code jmerge moe}) plugs in with its own
 * numbers: it builds its JSON (a Jackson tree), a {@link dev.jmerge.report.ReportPage} of sections of
 * {@link dev.jmerge.report.Chart}s ({@link dev.jmerge.report.Chart.Builder} takes values by series and layer or
 * tensor name; {@link dev.jmerge.report.TensorKind} and {@link dev.jmerge.report.TensorNames} group and place
 * tensors), a table and its config, and calls {@link dev.jmerge.report.ReportFiles#write(java.nio.file.Path,
 * tools.jackson.databind.JsonNode, dev.jmerge.report.ReportPage)} on its temporary output folder before the
 * folder is published, so the report appears with the model. For example:
 *
 * <pre>{@code
 * Chart.Builder gate = new Chart.Builder("Router rows: cosine to expert 0", "layer", "cosine");
 * for (int layer ...) for (int e ...) gate.put("expert " + e, layer, null, cosine[layer][e]);
 * ReportPage page = new ReportPage("jmerge report: moe", List.of(new ReportPage.Fact("experts", "4")),
 *         List.of(new ReportPage.Section("Router", null, List.of(gate.build()))), table, configYaml);
 * ReportFiles.write(folder.temp(), json, page);
 * }</pre>
 */
package dev.jmerge.report;

package dev.jmerge.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.synth.ModelShape;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The benchmark table and JSON from made-up measurements: floor parts, medians and the "not floor" flag. */
class BenchTableTest {

    private static final long GB = 1_000_000_000L;

    private static ChildRun.Result child(double wall, double cpu) {
        return new ChildRun.Result(0, wall, cpu, 150L << 20, "");
    }

    private static IoFloor.Sample floorRun(double wall, double read, double write) {
        return new IoFloor.Sample(child(wall, 2.0), read, write);
    }

    /** Three floor runs whose medians are wall 2.0, read 1.5, write 1.25 (no single run holds all three). */
    private static IoFloor.Floor floor() {
        return new IoFloor.Floor(List.of(floorRun(9.0, 1.0, 1.25), floorRun(2.0, 1.5, 0.75), floorRun(1.0, 4.0, 1.5)));
    }

    private static BenchTable.Row row(String method, double mergeWall) {
        // 4 GB read as 2e9 bf16 elements, 6 s of CPU: 3 ns per element
        return new BenchTable.Row(method, 4 * GB, 2 * GB, GB, child(mergeWall, 6.0), floor(), 170L << 20);
    }

    private static BenchTable table(BenchTable.Row... rows) {
        var section = new BenchTable.Section("warm", "warm: synced and inputs read into the page cache before each run",
                "1.00 1.00 1.00", "2.00 2.00 2.00", List.of(rows), List.of());
        return new BenchTable(ModelShape.bench(), 2, 2, List.of(section));
    }

    private static String line(String rendered, String method) {
        return rendered.lines().filter(l -> l.startsWith(method + " ")).findFirst().orElseThrow();
    }

    @Test
    void floorFiguresAreMediansOfTheRunsEachTakenOnItsOwn() {
        IoFloor.Floor f = floor();
        assertThat(f.wallSeconds()).isEqualTo(2.0);
        assertThat(f.readSeconds()).isEqualTo(1.5);
        assertThat(f.writeSeconds()).isEqualTo(1.25);
        assertThat(new IoFloor.Floor(List.of(floorRun(3, 1, 1), floorRun(5, 2, 4))).wallSeconds()).isEqualTo(4.0);
        assertThatThrownBy(() -> new IoFloor.Floor(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tableShowsTheFloorsReadAndWritePartsAndTheVerdict() {
        String out = table(row("linear", 2.8), row("ties", 6.0)).render();
        // merge 2.8 s over floor 2.0 s = 1.4, under linear's 1.5; ties 6.0 / 2.0 = 3.0 over its 2.5
        assertThat(line(out, "linear").split("\\s+")).containsSequence("2.80", "2.00", "1.50", "1.25", "1.40", "<=1.5", "ok",
                "6.0", "3.00");
        assertThat(line(out, "ties").split("\\s+")).containsSequence("6.00", "2.00", "1.50", "1.25", "3.00", "<=2.5", "MISS");
        assertThat(out).contains("fl read", "fl write", "median of 3 runs", "128 KiB writes").doesNotContain("not floor");
    }

    @Test
    void aMergeThatBeatsItsFloorIsFlaggedInsteadOfOk() {
        String out = table(row("linear", 1.9), row("slerp", 2.0)).render();
        assertThat(line(out, "linear")).contains("0.95", BenchTable.NOT_FLOOR).doesNotContain(" ok ", "MISS");
        assertThat(line(out, "slerp")).contains("1.00", "<=2.0 ok"); // as fast as the floor: it held
        assertThat(out).contains(BenchTable.NOT_FLOOR + ": the merge finished before its floor");
    }

    @Test
    void jsonCarriesTheFloorPartsEachRunAndWhetherTheFloorHeld() {
        JsonNode runs = JsonMapper.builder().build().readTree(table(row("linear", 1.9), row("ties", 6.0)).json())
                .get("tables").get(0).get("runs");
        JsonNode linear = runs.get(0);
        assertThat(linear.get("method").asString()).isEqualTo("linear");
        assertThat(linear.get("floor_wall_s").asDouble()).isEqualTo(2.0);
        assertThat(linear.get("floor_read_s").asDouble()).isEqualTo(1.5);
        assertThat(linear.get("floor_write_s").asDouble()).isEqualTo(1.25);
        assertThat(linear.get("floor_runs_wall_s").size()).isEqualTo(3);
        assertThat(linear.get("floor_runs_wall_s").get(0).asDouble()).isEqualTo(9.0);
        assertThat(linear.get("floor_holds").asBoolean()).isFalse();
        assertThat(linear.get("cpu_ns_per_element").asDouble()).isEqualTo(3.0);
        assertThat(runs.get(1).get("floor_holds").asBoolean()).isTrue();
        assertThat(runs.get(1).get("wall_over_floor").asDouble()).isEqualTo(3.0);
    }
}

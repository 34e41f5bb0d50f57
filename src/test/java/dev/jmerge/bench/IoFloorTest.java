package dev.jmerge.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The floor's own work, in process on small files: what it writes and the times it reports (not their values). */
class IoFloorTest {

    @TempDir
    Path dir;

    @Test
    void writesTheWholeOutputAsTheMergeDoesAndReportsBothParts() throws Exception {
        Path a = Files.write(dir.resolve("a.bin"), new byte[3_000_000]);
        Path b = Files.write(dir.resolve("b.bin"), new byte[1_000_001]);
        Path out = dir.resolve("floor");
        Files.createDirectories(out);
        long outBytes = 2L * IoFloor.WRITE_BYTES + 12_345; // two whole tiles and a short last one
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            exit = IoFloor.run(out.toString(), String.valueOf(outBytes), a.toString(), b.toString());
        } finally {
            System.setOut(stdout);
        }
        assertThat(exit).isZero();
        // a complete safetensors file: 8-byte header length, header, then exactly outBytes of data, every tile
        // filled (the pattern's first byte is 7, never the zeros of a hole)
        byte[] file = Files.readAllBytes(out.resolve("floor.safetensors"));
        long header = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(file.length).isEqualTo(8 + header + outBytes);
        int data = (int) (8 + header);
        assertThat(file[data]).isEqualTo((byte) 7);
        assertThat(file[data + IoFloor.WRITE_BYTES]).isEqualTo((byte) 7);
        assertThat(file[data + 2 * IoFloor.WRITE_BYTES]).isEqualTo((byte) 7);
        assertThat(file[file.length - 1]).isEqualTo((byte) ((12_344 * 31 + 7)));

        ChildRun.Result child = new ChildRun.Result(0, 1.0, 0.5, 1 << 20, printed.toString(StandardCharsets.UTF_8));
        IoFloor.Sample s = IoFloor.sample(child);
        assertThat(s.readSeconds()).isPositive();
        assertThat(s.writeSeconds()).isPositive();
    }

    @Test
    void aFloorThatPrintedNoPartsIsAnError() {
        ChildRun.Result child = new ChildRun.Result(0, 1.0, 0.5, 1 << 20, "something else\n");
        assertThatThrownBy(() -> IoFloor.sample(child)).hasMessageContaining("printed no read/write times");
    }
}

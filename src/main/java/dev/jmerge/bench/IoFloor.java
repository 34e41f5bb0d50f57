package dev.jmerge.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The I/O floor of a merge: read every byte of its input files and write an output file of the same size
 * with the same durability (data forced to the device before returning). Reads are large sequential
 * {@code read} calls into one direct buffer, the cheapest way to bring file bytes into a process; the
 * output is written from a zeroed direct buffer with positional writes, then forced, as the merge does.
 * Run by the benchmark through {@link Measured}: {@code run(OUT_FILE, OUT_BYTES, INPUT_FILES...)}.
 */
public final class IoFloor {

    private static final int BUFFER = 8 << 20;

    private IoFloor() {}

    public static int run(String... args) throws IOException {
        Path out = Path.of(args[0]);
        long outBytes = Long.parseLong(args[1]);
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        long checksum = 0;
        for (int i = 2; i < args.length; i++) {
            try (FileChannel in = FileChannel.open(Path.of(args[i]), StandardOpenOption.READ)) {
                long pos = 0;
                int n;
                while ((n = in.read(buf.clear(), pos)) > 0) {
                    pos += n;
                    checksum += buf.get(n - 1); // the bytes arrived in this process
                }
            }
        }
        ByteBuffer zeros = ByteBuffer.allocateDirect(BUFFER);
        try (FileChannel o = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            for (long pos = 0; pos < outBytes; ) {
                zeros.clear().limit((int) Math.min(BUFFER, outBytes - pos));
                while (zeros.hasRemaining()) pos += o.write(zeros, pos);
            }
            o.force(true);
        }
        return checksum == Long.MIN_VALUE ? 1 : 0;
    }
}

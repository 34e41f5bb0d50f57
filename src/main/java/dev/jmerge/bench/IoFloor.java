package dev.jmerge.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The I/O floor of a merge: read every byte of its input files and write an output file of the same size
 * with the same durability (forced to the device before returning), with no computation. To be a floor and
 * not a straw man it overlaps everything a merge could: each input file is read by its own thread in large
 * sequential {@code read} calls (so the device sees several streams at once, as with the merge's readahead),
 * while another thread writes the output from a zeroed buffer and starts write-back every 64 MB, as the merge
 * does. Run by the benchmark through {@link Measured}: {@code run(OUT_FILE, OUT_BYTES, INPUT_FILES...)}.
 */
public final class IoFloor {

    private static final int BUFFER = 8 << 20;
    private static final long FLUSH_EVERY = 64L << 20;

    private IoFloor() {}

    /**
     * The floor of a run that reads {@code inputs} and writes {@code outBytes}, measured in a child JVM after
     * {@code pc} has put the page cache in the same state as for the run.
     */
    static ChildRun.Result measure(Path scratch, long outBytes, List<String> inputs, PageCache pc) throws IOException {
        Path floorOut = scratch.resolve("floor.bin");
        List<String> floorArgs = new ArrayList<>(List.of(floorOut.toString(), String.valueOf(outBytes)));
        floorArgs.addAll(inputs);
        pc.prepare(inputs);
        ChildRun.Result floor = ChildRun.run(scratch, IoFloor.class.getName(), floorArgs);
        if (floor.exit() != 0) throw new IllegalStateException("I/O floor failed:\n" + floor.output());
        java.nio.file.Files.deleteIfExists(floorOut);
        return floor;
    }

    public static int run(String... args) throws Exception {
        Path out = Path.of(args[0]);
        long outBytes = Long.parseLong(args[1]);
        ExecutorService pool = Executors.newFixedThreadPool(args.length - 1);
        try {
            List<Future<Long>> jobs = new ArrayList<>();
            for (int i = 2; i < args.length; i++) {
                Path in = Path.of(args[i]);
                jobs.add(pool.submit(() -> readAll(in)));
            }
            jobs.add(pool.submit(() -> writeAll(out, outBytes)));
            long checksum = 0;
            for (Future<Long> f : jobs) checksum += f.get();
            return checksum == Long.MIN_VALUE ? 1 : 0;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long readAll(Path file) {
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        long checksum = 0;
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = 0;
            int n;
            while ((n = in.read(buf.clear(), pos)) > 0) {
                pos += n;
                checksum += buf.get(n - 1); // the bytes arrived in this process
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return checksum;
    }

    private static long writeAll(Path out, long outBytes) {
        ByteBuffer zeros = ByteBuffer.allocateDirect(BUFFER);
        try (FileChannel o = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            long flushed = 0;
            for (long pos = 0; pos < outBytes; ) {
                zeros.clear().limit((int) Math.min(BUFFER, outBytes - pos));
                while (zeros.hasRemaining()) pos += o.write(zeros, pos);
                if (pos - flushed >= FLUSH_EVERY) {
                    o.force(false);
                    flushed = pos;
                }
            }
            o.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }
}

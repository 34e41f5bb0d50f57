package dev.jmerge.bench;

import dev.jmerge.exec.Executor;
import dev.jmerge.exec.ShardOutput;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The I/O floor of a merge: read every byte of its input files and write an output file of the same size with
 * the same durability, with no computation. To be a floor and not a straw man it overlaps everything a merge
 * could (each input file is read by its own thread, through a mapping as the merge reads, while another thread
 * writes), and it writes exactly the way the merge does: through {@link ShardOutput} into a pre-sized
 * safetensors file, one positional write per tile of {@link Executor#DEFAULT_CHUNK} bf16 elements, write-back
 * started from a separate thread every 64 MB, {@code fsync} at the end. The write size matters on a VM whose
 * free memory is handed back to the host in 2 MB blocks: 8 MB writes get 2 MB page-cache folios, which come out
 * of exactly those blocks and fault into the host on first touch (README "Benchmark"). Run by the benchmark
 * through {@link Measured}: {@code run(OUT_FOLDER, OUT_BYTES, INPUT_FILES...)}; it prints how long its read part
 * and its write part took.
 */
public final class IoFloor {

    /** Bytes of an input mapped at a time. */
    private static final long READ_WINDOW = 64L << 20;
    /** One tile of bf16 output, what a merge worker hands to {@link ShardOutput#write} at a time. */
    static final int WRITE_BYTES = Executor.DEFAULT_CHUNK * DType.BF16.byteSize();
    /** As the merge's flusher (exec.Executor): start write-back when this much is unflushed, checked this often. */
    private static final long FLUSH_BYTES = 64L << 20;
    private static final long FLUSH_PERIOD_MS = 200;
    /** Floor runs per measurement in a warm page cache (their median is the floor): a few seconds each. */
    static final int RUNS = 3;
    private static final Pattern PARTS = Pattern.compile("io-floor: read_s=([0-9.]+) write_s=([0-9.]+)");

    private IoFloor() {}

    /** Floor runs to take by default: {@link #RUNS} warm, one cold (where each waits for the disk). */
    static int defaultRuns(PageCache pc) { return pc.cold() ? 1 : RUNS; }

    /** One floor run: the child process, and the seconds from its start until its reads and its write were done. */
    record Sample(ChildRun.Result child, double readSeconds, double writeSeconds) {}

    /**
     * Floor runs of the same work; every figure is the median over the runs (each run's wall time includes JVM
     * start-up, as the merge's does).
     */
    record Floor(List<Sample> samples) {
        Floor {
            if (samples.isEmpty()) throw new IllegalArgumentException("no floor runs");
            samples = List.copyOf(samples);
        }

        double wallSeconds() { return median(s -> s.child().wallSeconds()); }

        double readSeconds() { return median(Sample::readSeconds); }

        double writeSeconds() { return median(Sample::writeSeconds); }

        double cpuSeconds() { return median(s -> s.child().cpuSeconds()); }

        long peakRssBytes() { return samples.stream().mapToLong(s -> s.child().peakRssBytes()).max().orElse(-1); }

        private double median(ToDoubleFunction<Sample> f) {
            double[] v = samples.stream().mapToDouble(f).sorted().toArray();
            int n = v.length;
            return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        }
    }

    /**
     * The floor of a run that reads {@code inputs} and writes {@code outBytes}: {@code runs} floor runs in child
     * JVMs, each after {@code pc} has put the page cache (and write-back: it syncs) in the same state as for the
     * run.
     */
    static Floor measure(Path scratch, long outBytes, List<String> inputs, PageCache pc, int runs) throws IOException {
        Path folder = scratch.resolve("floor");
        List<String> args = new ArrayList<>(List.of(folder.toString(), String.valueOf(outBytes)));
        args.addAll(inputs);
        List<Sample> samples = new ArrayList<>();
        for (int k = 0; k < runs; k++) {
            Files.createDirectories(folder);
            pc.prepare(inputs);
            ChildRun.Result r = ChildRun.run(scratch, IoFloor.class.getName(), args);
            if (r.exit() != 0) throw new IllegalStateException("I/O floor failed:\n" + r.output());
            try (var files = Files.list(folder)) {
                for (Path p : files.toList()) Files.delete(p);
            }
            Files.delete(folder);
            samples.add(sample(r));
        }
        return new Floor(samples);
    }

    /** The child's result with the read and write times it printed. */
    static Sample sample(ChildRun.Result r) {
        Matcher m = PARTS.matcher(r.output());
        if (!m.find()) throw new IllegalStateException("I/O floor printed no read/write times:\n" + r.output());
        return new Sample(r, Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
    }

    public static int run(String... args) throws Exception {
        Path folder = Path.of(args[0]);
        long outBytes = Long.parseLong(args[1]);
        List<Path> inputs = Arrays.stream(args, 2, args.length).map(Path::of).toList();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(inputs.size() + 1);
        try {
            List<Future<Long>> reads = new ArrayList<>();
            for (Path in : inputs) reads.add(pool.submit(() -> readAll(in)));
            Future<Long> write = pool.submit(() -> writeAll(folder, outBytes));
            long readEnd = t0;
            for (Future<Long> f : reads) readEnd = Math.max(readEnd, f.get());
            long writeEnd = write.get();
            System.out.printf(Locale.ROOT, "io-floor: read_s=%.4f write_s=%.4f%n", (readEnd - t0) / 1e9,
                    (writeEnd - t0) / 1e9);
            return 0;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Reads every byte of the file as the merge does, through a mapping (a window at a time, so the resident set
     * stays small), and returns System.nanoTime() when done. On this VM {@code read} calls cost 3-20 times the
     * system time of a mapping for the same bytes (README "Benchmark").
     */
    static long readAll(Path file) {
        long checksum = 0;
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            for (long pos = 0; pos < size; pos += READ_WINDOW) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment w = in.map(FileChannel.MapMode.READ_ONLY, pos, Math.min(READ_WINDOW, size - pos), arena);
                    checksum += sum(w);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return System.nanoTime() + (checksum == Long.MIN_VALUE ? 1 : 0); // the bytes arrived in this process
    }

    /** Loads every byte of {@code w} (as longs, then the tail). */
    private static long sum(MemorySegment w) {
        long s = 0;
        long longs = w.byteSize() / Long.BYTES;
        for (long i = 0; i < longs; i++) s += w.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
        for (long i = longs * Long.BYTES; i < w.byteSize(); i++) s += w.get(ValueLayout.JAVA_BYTE, i);
        return s;
    }

    /** Writes {@code outBytes} of tiles the merge's way; returns System.nanoTime() once they are on the device. */
    private static long writeAll(Path folder, long outBytes) throws InterruptedException {
        ByteBuffer tile = ByteBuffer.allocateDirect(WRITE_BYTES);
        for (int i = 0; i < WRITE_BYTES; i++) tile.put(i, (byte) (i * 31 + 7)); // not zeros: nothing may skip them
        TensorSpec spec = new TensorSpec("floor", DType.U8, Shape.of(outBytes));
        ShardOutput out = ShardOutput.create(folder, new ShardLayout.Shard("floor.safetensors", List.of(spec), outBytes));
        ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor();
        try (out) {
            flusher.scheduleWithFixedDelay(() -> out.flushIfDirty(FLUSH_BYTES), FLUSH_PERIOD_MS, FLUSH_PERIOD_MS,
                    TimeUnit.MILLISECONDS);
            for (long pos = 0; pos < outBytes; pos += WRITE_BYTES) {
                out.write("floor", pos, tile.clear().limit((int) Math.min(WRITE_BYTES, outBytes - pos)));
            }
            flusher.shutdown();
            flusher.awaitTermination(1, TimeUnit.MINUTES);
            out.finish();
        } finally {
            flusher.shutdownNow();
        }
        return System.nanoTime();
    }
}

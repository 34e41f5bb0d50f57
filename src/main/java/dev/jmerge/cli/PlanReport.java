package dev.jmerge.cli;

import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedInput;
import dev.jmerge.plan.PlannedTensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/** The --dry-run report: every output tensor with its inputs and parameters, the shards, bytes and memory. */
final class PlanReport {

    /** JVM, class data, mapped headers and bookkeeping that do not depend on the model. */
    static final long BASELINE_BYTES = 64L << 20;

    private PlanReport() {}

    static String render(Plan plan, Path out, int threads, int chunk) {
        StringBuilder sb = new StringBuilder();
        sb.append("merge_method: ").append(plan.method().name()).append("  architecture: ").append(plan.arch().id())
                .append('\n');
        sb.append("models:\n");
        plan.models().forEach(m -> sb.append("  [").append(m.index()).append("] ").append(m.label()).append("  ")
                .append(m.folder()).append(m == plan.donor() ? "  (config and tokenizer donor)" : "").append('\n'));
        sb.append("tensors:\n");
        for (PlannedTensor t : plan.tensors()) {
            sb.append("  ").append(t.name()).append(' ').append(Arrays.toString(t.shape())).append(' ')
                    .append(t.outDtype().torchName()).append(" <-");
            for (int i = 0; i < t.inputs().size(); i++) {
                PlannedInput in = t.inputs().get(i);
                sb.append(" [").append(in.model()).append(']').append(i == t.baseIndex() ? "(base)" : "");
                if (!t.perModel().get(i).asMap().isEmpty()) sb.append(t.perModel().get(i));
            }
            if (!t.global().asMap().isEmpty()) sb.append("  ").append(t.global());
            sb.append('\n');
        }
        sb.append("shards:\n");
        plan.shards().shards().forEach(s -> sb.append("  ").append(s.fileName()).append("  ").append(s.tensors().size())
                .append(" tensors, ").append(Bytes.human(s.dataBytes())).append('\n'));
        sb.append(String.format(Locale.ROOT, "output: %s%n", out == null ? "(none)" : out.toAbsolutePath()));
        sb.append(String.format(Locale.ROOT, "tensors: %d  read: %s  written: %s%n", plan.tensors().size(),
                Bytes.human(plan.bytesRead()), Bytes.human(plan.bytesWritten())));
        sb.append(String.format(Locale.ROOT, "peak memory estimate: %s (%d threads x tiles of %d floats, plus %s baseline)%n",
                Bytes.human(peakMemory(plan, threads, chunk)), threads, chunk, Bytes.human(BASELINE_BYTES)));
        plan.warnings().forEach(w -> sb.append("warning: ").append(w).append('\n'));
        return sb.toString();
    }

    /** Heap the merge needs: each thread holds a few tiles per input of the widest tensor, plus the baseline. */
    static long peakMemory(Plan plan, int threads, int chunk) {
        int maxInputs = plan.tensors().stream().mapToInt(t -> t.inputs().size()).max().orElse(0);
        long maxRow = plan.tensors().stream().mapToLong(t -> t.shape().length >= 2 ? t.shape()[t.shape().length - 1] : 1)
                .max().orElse(1);
        long tile = Math.max(chunk, maxRow);
        long perThread = (long) (2 * maxInputs + 4) * tile * Float.BYTES;
        return BASELINE_BYTES + threads * perThread;
    }
}

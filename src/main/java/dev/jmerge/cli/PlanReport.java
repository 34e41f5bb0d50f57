package dev.jmerge.cli;

import dev.jmerge.exec.MemoryEstimate;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedInput;
import dev.jmerge.plan.PlannedTensor;
import java.nio.file.Path;
import java.util.Locale;

/** The --dry-run report: every output tensor with its inputs and parameters, the shards, bytes and memory. */
final class PlanReport {

    private PlanReport() {}

    /** One line per output shard: its file, tensor count and bytes. */
    static void shards(StringBuilder sb, dev.jmerge.io.safetensors.ShardLayout layout) {
        sb.append("shards:\n");
        layout.shards().forEach(s -> sb.append("  ").append(s.fileName()).append("  ").append(s.tensors().size())
                .append(" tensors, ").append(Bytes.human(s.dataBytes())).append('\n'));
    }

    static String render(Plan plan, Path out, MemoryEstimate memory) {
        StringBuilder sb = new StringBuilder();
        sb.append("merge_method: ").append(plan.method().name()).append("  architecture: ").append(plan.arch().id())
                .append('\n');
        sb.append("models:\n");
        plan.models().forEach(m -> sb.append("  [").append(m.index()).append("] ").append(m.label()).append("  ")
                .append(m.folder()).append(m == plan.donor() ? "  (config and tokenizer donor)" : "").append('\n'));
        sb.append("tensors:\n");
        for (PlannedTensor t : plan.tensors()) {
            sb.append("  ").append(t.name()).append(' ').append(t.shape()).append(' ')
                    .append(t.outDtype().torchName()).append(" <-");
            for (int i = 0; i < t.inputs().size(); i++) {
                PlannedInput in = t.inputs().get(i);
                sb.append(" [").append(in.model()).append(']').append(i == t.baseIndex() ? "(base)" : "");
                if (!t.perModel().get(i).asMap().isEmpty()) sb.append(t.perModel().get(i));
            }
            if (!t.global().asMap().isEmpty()) sb.append("  ").append(t.global());
            sb.append('\n');
        }
        shards(sb, plan.shards());
        sb.append(String.format(Locale.ROOT, "output: %s%n", out == null ? "(none)" : out.toAbsolutePath()));
        sb.append(String.format(Locale.ROOT, "tensors: %d  read: %s  written: %s%n", plan.tensors().size(),
                Bytes.human(plan.bytesRead()), Bytes.human(plan.bytesWritten())));
        sb.append(String.format(Locale.ROOT, "peak memory estimate: %s (%d of %d threads x %s of tiles and buffers,"
                        + " plus %s baseline%s; budget %s)%n", Bytes.human(memory.total()), memory.workers(),
                memory.requestedThreads(), Bytes.human(memory.perWorker()), Bytes.human(memory.baseline()),
                memory.scratch() == 0 ? "" : ", " + Bytes.human(memory.scratch()) + " scratch for the tie order",
                Bytes.human(memory.budget())));
        if (memory.overBudget()) sb.append("warning: ").append(memory.overBudgetWarning()).append('\n');
        plan.diagnostics().forEach(d -> sb.append("warning: ").append(d.message()).append('\n'));
        return sb.toString();
    }
}

package dev.jmerge.run;

import dev.jmerge.exec.Executor;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.plan.LoadedModel;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a finished shard's bytes depend on, hashed: the config text, the output layout, the tile size, the
 * seed when a method draws random numbers, and every input file's path, size and modification time. A
 * resumed run keeps an earlier run's shards only when this matches, so a changed input or config starts over.
 */
final class PlanFingerprint {

    private PlanFingerprint() {}

    static String of(Plan plan, Executor.Options exec) {
        return of(plan, exec, true);
    }

    /** @param withSeed false leaves the seed out (it is compared on its own where it may be drawn anew) */
    static String of(Plan plan, Executor.Options exec, boolean withSeed) {
        StringBuilder b = new StringBuilder("jmerge-plan 1\n");
        b.append(plan.config().yamlText()).append('\n');
        b.append("chunk ").append(exec.chunkSize()).append('\n');
        boolean stochastic = plan.tensors().stream().map(PlannedTensor::method).anyMatch(m -> m.isStochastic());
        if (stochastic && withSeed) b.append("seed ").append(exec.seed()).append('\n');
        for (ShardLayout.Shard s : plan.shards().shards()) {
            b.append("shard ").append(s.fileName()).append('\n');
            for (TensorSpec t : s.tensors()) {
                b.append(t.name()).append(' ').append(t.dtype()).append(' ').append(t.shape())
                        .append('\n');
            }
        }
        for (LoadedModel m : plan.models()) {
            for (Path f : m.weights().files()) {
                b.append("input ").append(f).append(' ');
                try {
                    b.append(Files.size(f)).append(' ').append(Files.getLastModifiedTime(f).toMillis());
                } catch (IOException e) {
                    b.append("unreadable");
                }
                b.append('\n');
            }
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}

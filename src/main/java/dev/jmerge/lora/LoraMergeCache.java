package dev.jmerge.lora;

import dev.jmerge.error.MergeException;
import dev.jmerge.io.safetensors.IndexWriter;
import dev.jmerge.io.safetensors.SafetensorsWriter;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.StoredTensor;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.io.TensorSource;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * mergekit's {@code --lora-merge-cache}: a base model with its adapter merged in, written once as a safetensors
 * model folder under the cache and reused by later runs. Each tensor is streamed through the same
 * arithmetic the on-the-fly path uses ({@link LoraSource}), then rounded once to the base tensor's dtype.
 */
public final class LoraMergeCache {

    private static final int CHUNK = 1 << 16;
    private static final long SHARD_BYTES = 5_000_000_000L;

    private LoraMergeCache() {}

    /** The cache folder for a reference, named from it so different bases or adapters never collide. */
    public static Path folderFor(Path cache, String reference) {
        return cache.resolve(reference.replaceAll("[^A-Za-z0-9._-]", "_"));
    }

    /** The merged folder for {@code patched} (a base model with its adapter), written now unless a previous run left it complete. */
    public static Path materialize(Path cache, String reference, TensorSource patched) {
        Path target = folderFor(cache, reference);
        if (Files.isRegularFile(target.resolve("config.json"))) return target;
        Path temp = target.resolveSibling(target.getFileName() + ".partial");
        try {
            deleteTree(temp);
            Files.createDirectories(temp);
            List<TensorSpec> specs = new ArrayList<>();
            for (String name : patched.names()) {
                TensorInfo info = patched.info(name);
                specs.add(new TensorSpec(name, info.dtype(), info.shape()));
            }
            ShardLayout layout = ShardLayout.of(specs, SHARD_BYTES);
            Kernels k = KernelsProvider.get();
            float[] buf = new float[CHUNK];
            for (ShardLayout.Shard shard : layout.shards()) {
                try (SafetensorsWriter w = SafetensorsWriter.create(temp, shard)) {
                    for (TensorSpec t : shard.tensors()) write(k, buf, patched.stored(t.name()), w.tensorSegment(t.name()));
                    w.finish();
                }
            }
            if (layout.needsIndex()) IndexWriter.write(temp, layout);
            try (Stream<Path> files = Files.list(patched.folder())) {
                for (Path f : files.toList()) {
                    String n = f.getFileName().toString();
                    if ((n.endsWith(".json") && !n.endsWith(".index.json")) || n.equals("tokenizer.model")) {
                        Files.copy(f, temp.resolve(n), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new MergeException(target + ": cannot write the LoRA merge cache (" + e.getMessage() + ")", e);
        }
    }

    private static void write(Kernels k, float[] buf, StoredTensor in, MemorySegment out) {
        TensorInfo info = in.info();
        if (in.delta() == null || !info.dtype().isFloating()) {
            out.copyFrom(in.bytes());
            return;
        }
        long n = info.numel();
        int es = info.dtype().byteSize();
        for (long off = 0; off < n; off += CHUNK) {
            int len = (int) Math.min(CHUNK, n - off);
            k.toFloat(in.bytes(), off * es, info.dtype(), buf, 0, len);
            in.delta().addTo(k, off, buf, 0, len);
            k.fromFloat(buf, 0, out, off * es, info.dtype(), len);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}

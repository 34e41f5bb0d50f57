package dev.jmerge.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.config.ConfigLoader;
import dev.jmerge.io.safetensors.SafetensorsFile;
import dev.jmerge.io.safetensors.ShardLayout;
import dev.jmerge.io.safetensors.TensorSpec;
import dev.jmerge.kernels.Kernels;
import dev.jmerge.kernels.KernelsProvider;
import dev.jmerge.kernels.ScalarKernels;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.Planner;
import dev.jmerge.source.HfCache;
import dev.jmerge.source.ModelLocator;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plan runs in one executor session, held to the memory estimate --dry-run prints for the whole plan. */
class ExecutorSessionTest {

    @TempDir
    Path dir;

    private Plan plan() { return plan(""); }

    private Plan plan(String extraYaml) {
        ModelShape s = ModelShape.tiny(DType.F32).withLayers(3);
        SyntheticModels.write(dir.resolve("a"), s, 5, 0, 0, 0);
        SyntheticModels.write(dir.resolve("b"), s, 5, 1, 0.1, 0);
        var config = ConfigLoader.parse("merge_method: linear\nmodels:\n  - model: " + dir.resolve("a")
                + "\n    parameters: {weight: 0.5}\n  - model: " + dir.resolve("b") + "\n    parameters: {weight: 0.5}\n"
                + extraYaml, "linear.yml").getFirst();
        Planner planner = new Planner(new ModelLocator(dir, new HfCache(dir.resolve("no-cache"))));
        return planner.plan(config, new Planner.Options(false, 20_000));
    }

    private static Executor executor(long budget) {
        return new Executor(new Executor.Options(4, Executor.DEFAULT_CHUNK, 1, KernelsProvider.get(), budget));
    }

    /** Counts the worker threads that finished a tensor. */
    private record Workers(Set<Long> ids) implements Progress {
        @Override public void start(int tensors, long bytes) {}
        @Override public void tensorDone(long bytes) { ids.add(Thread.currentThread().threadId()); }
        @Override public void finish() {}
    }

    @Test
    void theWholePlanRunsOnThePoolTheDryRunEstimateSizesAndShardsAreReportedInOrder() throws Exception {
        Plan plan = plan();
        List<ShardLayout.Shard> shards = plan.shards().shards();
        assertThat(shards).hasSizeGreaterThan(3);
        long perWorker = executor(1L << 40).estimate(plan).perWorker();
        // room for two of the four workers asked for
        Executor executor = executor(MemoryEstimate.BASELINE_BYTES + 2 * perWorker + perWorker / 2);
        MemoryEstimate dryRun = executor.estimate(plan);
        assertThat(dryRun.workers()).isEqualTo(2);

        Set<Long> workers = ConcurrentHashMap.newKeySet();
        List<String> done = new ArrayList<>();
        Path out = Files.createDirectories(dir.resolve("out"));
        Executor.Result r = executor.run(plan, out, Set.of(), new Workers(workers), (s, found) -> {
            assertThat(out.resolve(s.fileName())).exists();
            done.add(s.fileName());
        });
        assertThat(r.memory()).isEqualTo(dryRun);
        assertThat(r.diagnostics()).isEmpty();
        // a pool per shard would have started new threads for every shard
        assertThat(workers).isNotEmpty().hasSizeLessThanOrEqualTo(dryRun.workers());
        assertThat(done).containsExactlyElementsOf(shards.stream().map(ShardLayout.Shard::fileName).toList());
        for (ShardLayout.Shard s : shards) {
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve(s.fileName()))) {
                assertThat(f.tensors().keySet()).containsExactlyElementsOf(
                        s.tensors().stream().map(TensorSpec::name).toList());
            }
        }

        // shards an interrupted run finished are neither written again nor reported
        Path again = Files.createDirectories(dir.resolve("again"));
        String first = shards.getFirst().fileName();
        List<String> rest = new ArrayList<>();
        executor.run(plan, again, Set.of(first), Progress.NONE, (s, found) -> rest.add(s.fileName()));
        assertThat(rest).containsExactlyElementsOf(done.subList(1, done.size()));
        assertThat(again.resolve(first)).doesNotExist();
        plan.models().forEach(m -> m.close());
    }

    @Test
    void theKernelsWarmUpForThePlansDtypesBeforeTheFirstTile() throws Exception {
        Plan plan = plan("dtype: bfloat16\nout_dtype: float16\n");
        assertThat(Executor.dtypes(plan)).containsExactlyInAnyOrder(DType.F32, DType.BF16, DType.F16);

        List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        Kernels scalar = new ScalarKernels();
        Kernels recording = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(),
                new Class<?>[] {Kernels.class}, (proxy, m, args) -> {
                    calls.add(m.getName() + (m.getName().equals("warmUp") ? args[0] : ""));
                    try {
                        return m.invoke(scalar, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Executor executor = new Executor(new Executor.Options(2, Executor.DEFAULT_CHUNK, 1, recording, 1L << 40));
        executor.run(plan, Files.createDirectories(dir.resolve("out")), Set.of(), Progress.NONE, (s, found) -> {});
        assertThat(calls).hasSizeGreaterThan(1);
        assertThat(calls.getFirst()).isEqualTo("warmUp" + EnumSet.of(DType.BF16, DType.F16, DType.F32));
        assertThat(calls.stream().filter(c -> c.startsWith("warmUp"))).hasSize(1);
        plan.models().forEach(m -> m.close());
    }
}

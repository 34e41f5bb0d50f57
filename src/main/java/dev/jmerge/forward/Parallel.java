package dev.jmerge.forward;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/** A fixed pool of worker threads for the forward pass; one task per part, the caller waits for all. */
final class Parallel implements AutoCloseable {

    private final int threads;
    private final ExecutorService pool;

    Parallel(int threads) {
        this.threads = Math.max(1, threads);
        this.pool = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads, r -> {
            Thread t = new Thread(r, "jmerge-forward");
            t.setDaemon(true);
            return t;
        });
    }

    int threads() { return threads; }

    /** Runs {@code body(i)} for {@code i < count}, spread over the workers. */
    void forEach(int count, IntConsumer body) {
        if (pool == null || count <= 1) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        List<Future<?>> jobs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int part = i;
            jobs.add(pool.submit(() -> body.accept(part)));
        }
        RuntimeException failure = null;
        for (Future<?> f : jobs) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                jobs.forEach(j -> j.cancel(true));
                throw new IllegalStateException("interrupted", e);
            }
        }
        if (failure != null) throw failure;
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}

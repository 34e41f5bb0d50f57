package dev.jmerge.exec;

import dev.jmerge.error.JmergeException;
import dev.jmerge.error.MergeException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for a pool's tasks: the first failure cancels the rest and surfaces as jmerge's own error. */
public final class Futures {

    private Futures() {}

    /**
     * Waits for every task in order; on the first failure cancels the others and rethrows it (a jmerge error or
     * an {@link Error} as it is, anything else wrapped naming {@code what}, e.g. "merge").
     */
    public static void awaitAll(List<? extends Future<?>> all, String what) {
        for (Future<?> f : all) {
            try {
                f.get();
            } catch (ExecutionException e) {
                for (Future<?> other : all) other.cancel(true);
                Throwable c = e.getCause();
                if (c instanceof JmergeException je) throw je;
                if (c instanceof Error err) throw err;
                throw new MergeException(what + " failed: " + c, c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MergeException(what + " interrupted", e);
            }
        }
    }
}

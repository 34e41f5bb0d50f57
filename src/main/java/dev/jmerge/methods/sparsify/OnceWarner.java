package dev.jmerge.methods.sparsify;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/** Passes each kind of warning on once per merge call, however many models trigger it. */
public final class OnceWarner {

    private final Consumer<String> sink;
    private final Set<String> seen = new HashSet<>();

    public OnceWarner(Consumer<String> sink) { this.sink = sink; }

    public void warn(String kind, String message) {
        if (seen.add(kind)) sink.accept(message);
    }
}

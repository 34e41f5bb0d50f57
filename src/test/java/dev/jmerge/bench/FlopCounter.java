package dev.jmerge.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Floating-point operations a benchmark did, which JMH reports as a rate beside its score ("flops"). */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class FlopCounter {

    public long flops;

    @Setup(Level.Iteration)
    public void reset() { flops = 0; }
}

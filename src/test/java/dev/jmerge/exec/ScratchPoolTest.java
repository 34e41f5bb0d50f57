package dev.jmerge.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.methods.MergeInput;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Leases stay within the pool, wait for room, and reuse the blocks given back. */
class ScratchPoolTest {

    @Test
    void aBlockGivenBackIsLentAgainInsteadOfAllocatingAnother() {
        try (ScratchPool pool = new ScratchPool(1 << 20)) {
            long address;
            try (MergeInput.Scratch a = pool.lend(1 << 20, "t")) {
                address = a.segment().address();
                a.segment().setAtIndex(ValueLayout.JAVA_INT, 0, 42);
            }
            try (MergeInput.Scratch b = pool.lend(1000, "t")) {
                assertThat(b.segment().address()).isEqualTo(address);
                assertThat(b.segment().byteSize()).isEqualTo(1000);
            }
        }
    }

    @Test
    void aRequestThatDoesNotFitWaitsForAGiveBack() throws Exception {
        try (ScratchPool pool = new ScratchPool(3 << 20)) {
            MergeInput.Scratch first = pool.lend(2 << 20, "a");
            CountDownLatch asked = new CountDownLatch(1);
            CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> {
                asked.countDown();
                try (MergeInput.Scratch s = pool.lend(2 << 20, "b")) {
                    return s.segment().byteSize();
                }
            });
            asked.await();
            Thread.sleep(200);
            assertThat(second).isNotDone();
            first.close();
            assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(2L << 20);
        }
    }

    @Test
    void idleBlocksAreFreedToMakeRoomAndAnOversizedRequestStillRuns() {
        try (ScratchPool pool = new ScratchPool(2 << 20)) {
            pool.lend(1 << 20, "small").close();
            // larger than what is idle: the idle block is freed and a new one allocated within the pool
            try (MergeInput.Scratch big = pool.lend(2 << 20, "big")) {
                assertThat(big.segment().byteSize()).isEqualTo(2L << 20);
            }
            // larger than the whole pool: it gets the pool to itself rather than waiting forever
            try (MergeInput.Scratch huge = pool.lend(5 << 20, "huge")) {
                assertThat(huge.segment().byteSize()).isEqualTo(5L << 20);
            }
        }
    }
}

package dev.jmerge.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** mergekit's split rule: close the shard before a tensor that would push it past the limit, never leave one empty. */
class ShardLayoutTest {

    /** U8 tensors so that sizes in bytes are the numbers written here. */
    private static List<TensorSpec> sizes(long... bytes) {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) specs.add(new TensorSpec("t" + i, DType.U8, Shape.of(bytes[i])));
        return specs;
    }

    private static List<List<String>> groups(ShardLayout layout) {
        return layout.shards().stream().map(s -> s.tensors().stream().map(TensorSpec::name).toList()).toList();
    }

    @Test
    void exactlyFullShardKeepsTheTensor() {
        assertThat(groups(ShardLayout.of(sizes(40, 60), 100))).containsExactly(List.of("t0", "t1"));
    }

    @Test
    void oneByteOverStartsANewShard() {
        ShardLayout l = ShardLayout.of(sizes(40, 61), 100);
        assertThat(groups(l)).containsExactly(List.of("t0"), List.of("t1"));
        assertThat(l.shards()).extracting(ShardLayout.Shard::dataBytes).containsExactly(40L, 61L);
    }

    @Test
    void oversizedTensorGetsAShardOfItsOwnAndNoEmptyShardBeforeIt() {
        assertThat(groups(ShardLayout.of(sizes(150, 10), 100))).containsExactly(List.of("t0"), List.of("t1"));
        assertThat(groups(ShardLayout.of(sizes(10, 150, 10), 100)))
                .containsExactly(List.of("t0"), List.of("t1"), List.of("t2"));
    }

    @Test
    void sizeCountsBytesNotElements() {
        List<TensorSpec> specs = List.of(new TensorSpec("a", DType.F32, Shape.of(10)),
                new TensorSpec("b", DType.F32, Shape.of(10)), new TensorSpec("c", DType.BF16, Shape.of(20)));
        assertThat(groups(ShardLayout.of(specs, 80))).containsExactly(List.of("a", "b"), List.of("c"));
        assertThat(groups(ShardLayout.of(specs, 79))).containsExactly(List.of("a"), List.of("b"), List.of("c"));
    }

    @Test
    void zeroSizedTensorsNeverSplit() {
        assertThat(groups(ShardLayout.of(sizes(100, 0, 0), 100))).containsExactly(List.of("t0", "t1", "t2"));
    }

    @Test
    void nonPositiveLimitNeverSplits() {
        for (long max : new long[] {0, -1, Long.MIN_VALUE}) {
            ShardLayout l = ShardLayout.of(sizes(5_000_000_000L, 5_000_000_000L, 1), max);
            assertThat(l.shards()).hasSize(1);
            assertThat(l.totalBytes()).isEqualTo(10_000_000_001L);
        }
    }

    @Test
    void oneShardIsModelSafetensorsWithoutIndex() {
        ShardLayout l = ShardLayout.of(sizes(1, 2, 3), 1000);
        assertThat(l.shards()).extracting(ShardLayout.Shard::fileName).containsExactly("model.safetensors");
        assertThat(l.needsIndex()).isFalse();
    }

    @Test
    void severalShardsAreNumberedFromOneWithFiveDigits() {
        ShardLayout l = ShardLayout.of(sizes(6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6), 10);
        assertThat(l.shards()).hasSize(12);
        assertThat(l.shards().getFirst().fileName()).isEqualTo("model-00001-of-00012.safetensors");
        assertThat(l.shards().get(9).fileName()).isEqualTo("model-00010-of-00012.safetensors");
        assertThat(l.shards().getLast().fileName()).isEqualTo("model-00012-of-00012.safetensors");
        assertThat(l.needsIndex()).isTrue();
        assertThat(l.totalBytes()).isEqualTo(72);
    }

    @Test
    void weightMapIsSortedByTensorName() {
        List<TensorSpec> specs = List.of(new TensorSpec("z", DType.U8, Shape.of(8)),
                new TensorSpec("a", DType.U8, Shape.of(8)), new TensorSpec("m", DType.U8, Shape.of(8)));
        ShardLayout l = ShardLayout.of(specs, 8);
        assertThat(l.weightMap()).containsExactly(
                java.util.Map.entry("a", "model-00002-of-00003.safetensors"),
                java.util.Map.entry("m", "model-00003-of-00003.safetensors"),
                java.util.Map.entry("z", "model-00001-of-00003.safetensors"));
    }

    @Test
    void noTensorsNoShardsAndDuplicatesRefused() {
        assertThat(ShardLayout.of(List.of(), 10).shards()).isEmpty();
        assertThatThrownBy(() -> ShardLayout.of(List.of(new TensorSpec("a", DType.U8, Shape.of(1)),
                new TensorSpec("a", DType.U8, Shape.of(1))), 10)).isInstanceOf(IllegalArgumentException.class);
    }
}

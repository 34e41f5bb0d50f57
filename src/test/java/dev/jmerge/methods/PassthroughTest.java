package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.MergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PassthroughTest {

    private final Passthrough passthrough = new Passthrough();

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() { return InterpTestData.cases(); }

    @ParameterizedTest
    @MethodSource("cases")
    void copiesOrScales(long[] shape, int chunk) {
        float[] x = gaussian(31, numel(shape));
        assertThat(new ArrayInput("t", shape, new float[][] {x}, -1, Params.empty()).chunk(chunk).run(passthrough))
                .containsExactly(x);
        double[] scaled = d(x);
        for (int i = 0; i < scaled.length; i++) scaled[i] *= -0.25;
        assertClose(scaled, new ArrayInput("t", shape, new float[][] {x}, -1, Params.empty(), Params.of("scale", -0.25))
                .chunk(chunk).run(passthrough));
    }

    @Test
    void moreThanOneInputFails() {
        float[] x = gaussian(32, 7);
        assertThatThrownBy(() -> new ArrayInput("w", new long[] {7}, new float[][] {x, x}, -1, Params.empty()).run(passthrough))
                .isInstanceOf(MergeException.class).hasMessageContaining("passthrough").hasMessageContaining("'w'");
    }

    @Test
    void parametersAndInputs() {
        assertThat(passthrough.modelParameters()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("scale");
            assertThat(p.required()).isFalse();
            assertThat(p.defaultValue()).isNull();
        });
        assertThat(passthrough.checkInputs(1, false)).isNull();
        assertThat(passthrough.checkInputs(0, true)).isNull();
        assertThat(passthrough.checkInputs(2, false)).contains("exactly one");
        assertThat(passthrough.checkInputs(1, true)).contains("exactly one");
    }
}

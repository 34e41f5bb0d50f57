package dev.jmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MemorySizeTest {

    private final MemorySize conv = new MemorySize();

    @Test
    void binarySuffixes() {
        assertThat(conv.convert("4096")).isEqualTo(4096L);
        assertThat(conv.convert("512M")).isEqualTo(512L << 20);
        assertThat(conv.convert("512m")).isEqualTo(512L << 20);
        assertThat(conv.convert("2G")).isEqualTo(2L << 30);
        assertThat(conv.convert("2GiB")).isEqualTo(2L << 30);
        assertThat(conv.convert("64KB")).isEqualTo(64L << 10);
        assertThat(conv.convert("1T")).isEqualTo(1L << 40);
    }

    @Test
    void refusesNonsense() {
        for (String bad : new String[] {"", "G", "-1G", "0", "1.5G", "lots", "99999999999T"}) {
            assertThatThrownBy(() -> conv.convert(bad)).as(bad).isInstanceOf(CommandLine.TypeConversionException.class)
                    .hasMessageContaining("not a memory size");
        }
    }
}

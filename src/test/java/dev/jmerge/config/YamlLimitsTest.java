package dev.jmerge.config;

import static dev.jmerge.config.ConfigLoaderTestSupport.lines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Hostile or broken files are refused quickly with a one-line message instead of exhausting memory. */
class YamlLimitsTest {

    @TempDir
    Path dir;

    /** The classic shape: nine levels, each a list of nine aliases of the previous one (9^9 leaves). */
    @Test
    @Timeout(5)
    void billionLaughsIsRefusedByTheAliasLimit() {
        StringBuilder y = new StringBuilder("merge_method: linear\nmodels: [{model: a}]\na: &a [\"lol\"]\n");
        String prev = "a";
        for (int level = 1; level <= 9; level++) {
            String name = "l" + level;
            y.append(name).append(": &").append(name).append(" [");
            for (int i = 0; i < 9; i++) y.append(i == 0 ? "" : ", ").append('*').append(prev);
            y.append("]\n");
            prev = name;
        }
        assertThatThrownBy(() -> ConfigLoader.parse(y.toString(), "bomb.yml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("bomb.yml line ")
                .hasMessageContaining("too many aliases");
    }

    /** Two aliases per level stay under the alias limit, yet 2^30 leaves: the node count stops the walk. */
    @Test
    @Timeout(5)
    void doublingAliasChainIsRefusedByTheNodeCount() {
        StringBuilder y = new StringBuilder("merge_method: linear\nmodels: [{model: a}]\nparameters:\n");
        y.append("  l0: &l0 [1, 2]\n");
        for (int level = 1; level <= 25; level++) {
            y.append("  l").append(level).append(": &l").append(level)
                    .append(" [*l").append(level - 1).append(", *l").append(level - 1).append("]\n");
        }
        long start = System.nanoTime();
        assertThatThrownBy(() -> ConfigLoader.parse(y.toString(), "bomb.yml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("bomb.yml")
                .hasMessageContaining("too many nodes (alias expansion?)");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void recursiveAliasIsRefused() {
        String y = lines("merge_method: linear", "models: [{model: a}]", "loop: &x [1, *x]");
        assertThatThrownBy(() -> ConfigLoader.parse(y, "loop.yml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("loop.yml line 3:")
                .hasMessageContaining("recursive alias");
    }

    @Test
    @Timeout(5)
    void deepNestingIsRefusedBeforeTheComposerRecurses() {
        String y = "merge_method: linear\nmodels: [{model: a}]\ndeep: " + "[".repeat(100_000) + "]".repeat(100_000)
                + "\n";
        assertThatThrownBy(() -> ConfigLoader.parse(y, "deep.yml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("deep.yml line 3:")
                .hasMessageContaining("nesting deeper than 100 levels");
    }

    @Test
    void nonUtf8IsRefusedWithTheByteOffset() throws IOException {
        byte[] head = "merge_method: linear\nmodels: [{model: caf".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[head.length + 4];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xE9; // Latin-1 é, not valid UTF-8 here
        bytes[head.length + 1] = '}';
        bytes[head.length + 2] = ']';
        bytes[head.length + 3] = '\n';
        Path file = Files.write(dir.resolve("latin1.yml"), bytes);
        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ": config file is not UTF-8 at byte " + head.length);
    }

    @Test
    void utf8WithByteOrderMarkAndNonAsciiLoads() throws IOException {
        String text = "merge_method: linear\nmodels: [{model: modèles/ü}]\n";
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[body.length + 3];
        bytes[0] = (byte) 0xEF;
        bytes[1] = (byte) 0xBB;
        bytes[2] = (byte) 0xBF;
        System.arraycopy(body, 0, bytes, 3, body.length);
        Path file = Files.write(dir.resolve("bom.yml"), bytes);
        MergeConfig c = ConfigLoader.load(file).getFirst();
        assertThat(c.models().getFirst().model().model().path()).isEqualTo("modèles/ü");
        assertThat(c.yamlText()).isEqualTo(text);
        assertThat(c.fileName()).isEqualTo(file.toString());
    }

    @Test
    void filesOverTenMegabytesAreRefusedBeforeReading() throws IOException {
        Path file = dir.resolve("big.yml");
        try (var ch = Files.newByteChannel(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
            ch.position(10L * 1024 * 1024); // one byte past the limit, without writing 10 MB
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'\n'}));
        }
        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ": config file is 10485761 bytes, more than the limit");
    }

    @Test
    void missingFileIsAConfigError() {
        Path file = dir.resolve("absent.yml");
        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ": cannot read config file");
    }

    @Test
    void emptyConfigIsRefused() {
        assertThatThrownBy(() -> ConfigLoader.parse("# nothing here\n", "empty.yml"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("empty.yml: config is empty");
    }
}

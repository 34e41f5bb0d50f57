package dev.jmerge.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.jmerge.io.safetensors.SafetensorsFormat;
import dev.jmerge.config.ConfigLoader;
import dev.jmerge.error.JmergeException;
import dev.jmerge.io.ModelWeights;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing of the readers of untrusted text: the weight index and the YAML config loader.
 * Whatever the bytes, only JmergeException subclasses may escape: no unchecked exception, no hang, no OOM.
 * (The safetensors header parser has its own in io.safetensors.MutationFuzzTest.) A short run is part of the
 * suite; {@code -Djmerge.fuzz.iterations=100000} runs longer.
 */
class FuzzTest {

    static final int ITERATIONS = Integer.getInteger("jmerge.fuzz.iterations", 2000);
    static final long SEED = Long.getLong("jmerge.fuzz.seed", 20_251_202L);

    @TempDir
    Path dir;

    /** Fragments that steer mutations into YAML's and JSON's special corners. */
    static final String[] TOKENS = {
        "&a ", "*a", "<<: *a", "!!python/object/apply:os.system [\"touch pwned\"]", "!!binary ", "!!str ", "!!int ",
        "!!float ", "!!map ", "!<tag:yaml.org,2002:java.io.File> x", "{", "}", "[", "]", ": ", "- ", "? ", "|", ">",
        "'", "\"", "\t", "\n", "\n---\n", "%YAML 1.1\n", "...", "#", ",", "~", "null", ".nan", "-.inf", "0x1F", "1e999",
        "99999999999999999999999", "-0", "yes", "no", "on", "@", "`", "\\", "\u0000", "\u2028", "\uFEFF", "é",
        "../", "/etc/passwd", "\"\"", "model: ", "models:", "slices:", "layer_range: [0, 99999999999]", "weight: ",
        "parameters:", "merge_method: ", "base_model: ", "dtype: ", "sources:", "filter: ", "value: ", "tokenizer:",
        "\"weight_map\"", "\"model.safetensors\"", ":{", "[[[[[[[[[[[[[[[[[[[[[[[[", "{{{{{{{{{{{{{{{{{{{{{{{{{",
    };

    static String mutate(String valid, SplittableRandom rnd) {
        return mutate(valid, rnd, 1 + rnd.nextInt(4));
    }

    static String mutate(String valid, SplittableRandom rnd, int edits) {
        StringBuilder s = new StringBuilder(valid);
        for (int e = 0; e < edits && !s.isEmpty(); e++) {
            int at = rnd.nextInt(s.length() + 1);
            switch (rnd.nextInt(7)) {
                case 0 -> s.insert(at, TOKENS[rnd.nextInt(TOKENS.length)]);
                case 1 -> s.delete(at, Math.min(s.length(), at + 1 + rnd.nextInt(12)));
                case 2 -> {
                    if (at < s.length()) s.setCharAt(at, (char) (s.charAt(at) ^ (1 << rnd.nextInt(7))));
                }
                case 3 -> s.setLength(at);
                case 4 -> {
                    // duplicate a stretch: repeated keys, nested structures
                    int len = rnd.nextInt(Math.max(1, Math.min(80, s.length() - Math.min(at, s.length() - 1))));
                    int from = Math.min(at, s.length() - 1);
                    s.insert(from, s.substring(from, Math.min(s.length(), from + len)));
                }
                case 5 -> s.insert(at, Character.toString(0x20 + rnd.nextInt(0x5F)));
                default -> s.insert(at, String.valueOf(rnd.nextLong()));
            }
        }
        return s.toString();
    }

    static List<String> goldenConfigs() throws URISyntaxException, java.io.IOException {
        Path cases = Path.of(FuzzTest.class.getResource("/mergekit-goldens/cases").toURI());
        List<String> texts = new ArrayList<>();
        try (Stream<Path> s = Files.list(cases)) {
            for (Path c : s.sorted().toList()) texts.add(Files.readString(c.resolve("config.yml")));
        }
        return texts;
    }

    static int configExecutions;
    static int indexExecutions;

    @Test
    void configLoaderLetsOnlyConfigErrorsEscape() throws Exception {
        List<String> seeds = goldenConfigs();
        int[] outcome = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(Math.max(30, ITERATIONS / 50)), () -> {
            SplittableRandom rnd = new SplittableRandom(SEED);
            for (int i = 0; i < ITERATIONS; i++) {
                String text = mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
                if (rnd.nextInt(8) == 0) text = mutate(text, rnd);
                try {
                    if (rnd.nextInt(10) == 0) {
                        // through a file, with raw bytes: encodings and BOMs too
                        byte[] b = text.getBytes(StandardCharsets.UTF_8);
                        if (b.length > 0 && rnd.nextBoolean()) b[rnd.nextInt(b.length)] = (byte) (0x80 + rnd.nextInt(0x80));
                        ConfigLoader.load(Files.write(dir.resolve("fuzz.yml"), b));
                    } else {
                        ConfigLoader.parse(text, "fuzz.yml");
                    }
                    outcome[0]++;
                } catch (JmergeException e) {
                    assertThat(e.getMessage()).as("iteration %d", i).contains("fuzz.yml").doesNotContain("\n");
                    outcome[1]++;
                } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                    fail("iteration " + i + " threw " + e + " for:\n" + text, e);
                }
                configExecutions++;
            }
        });
        System.out.printf("fuzz config loader: %d executions, %d accepted, %d refused%n", ITERATIONS, outcome[0], outcome[1]);
        assertThat(dir.resolve("pwned")).doesNotExist();
        assertThat(Path.of("pwned")).doesNotExist();
        // Both outcomes must be common, or the mutations are not reaching the loader's checks.
        assertThat(outcome[0]).isGreaterThan(ITERATIONS / 20);
        assertThat(outcome[1]).isGreaterThan(ITERATIONS / 5);
    }

    @Test
    void indexReaderLetsOnlyMergeErrorsEscape() throws Exception {
        Path model = dir.resolve("model");
        dev.jmerge.synth.SyntheticModels.write(model, Models.TINY, 3, 0, 0, 40_000);
        Path index = model.resolve(SafetensorsFormat.INDEX_FILE);
        String valid = Files.readString(index);
        assertThat(valid).contains("model-00002-of-");
        int[] outcome = new int[2];
        int n = Math.max(200, ITERATIONS / 4);
        assertTimeoutPreemptively(Duration.ofSeconds(Math.max(30, n / 25)), () -> {
            SplittableRandom rnd = new SplittableRandom(SEED ^ 0x1DE);
            for (int i = 0; i < n; i++) {
                String text = mutate(valid, rnd, 1);
                Files.writeString(index, text);
                try (ModelWeights w = ModelWeights.open(model)) {
                    long sum = 0;
                    for (String name : w.names()) {
                        var seg = w.segment(name);
                        if (seg.byteSize() > 0) sum += seg.get(ValueLayout.JAVA_BYTE, seg.byteSize() - 1);
                    }
                    outcome[0] += sum == Long.MIN_VALUE ? 0 : 1;
                } catch (JmergeException e) {
                    assertThat(e.getMessage()).as("iteration %d", i).doesNotContain("\n");
                    outcome[1]++;
                } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                    fail("iteration " + i + " threw " + e + " for:\n" + text, e);
                }
                indexExecutions++;
            }
        });
        System.out.printf("fuzz weight index: %d executions, %d accepted, %d refused%n", n, outcome[0], outcome[1]);
        // JSON breaks under most single edits; edits inside names and metadata still open.
        assertThat(outcome[0]).isPositive();
        assertThat(outcome[1]).isGreaterThan(n / 2);
    }

    /** YAML tags that would construct objects or run code in other loaders are data or errors here. */
    @Test
    void yamlTagsNeverConstructOrExecute() throws Exception {
        Path marker = dir.resolve("pwned");
        for (String tag : List.of("!!python/object/apply:os.system [\"touch " + marker + "\"]",
                "!!python/name:os.system", "!<tag:yaml.org,2002:java.lang.ProcessBuilder> [\"touch\", \"" + marker + "\"]",
                "!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://x\"]]]]")) {
            String yaml = "merge_method: linear\nmodels:\n  - model: " + tag + "\n    parameters: {weight: 1.0}\n";
            try {
                ConfigLoader.parse(yaml, "tags.yml");
            } catch (JmergeException e) {
                assertThat(e.getMessage()).startsWith("tags.yml");
            }
        }
        assertThat(marker).doesNotExist();
    }
}

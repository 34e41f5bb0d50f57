package dev.jmerge.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jmerge.cli.Main;
import dev.jmerge.output.OutputFolder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Runs the CLI in this JVM with captured output, and checks what a failed run must (not) leave behind. */
final class Cli {

    private Cli() {}

    record Result(int code, String out, String err) {

        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    /** Merges quietly and deterministically: no tokenizer, no model card, fixed seed. */
    static Result merge(Path config, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of(config.toString(), out.toString(), "--quiet",
                "--no-copy-tokenizer", "--no-write-model-card", "--random-seed", "7", "-j", "2"));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    /** Names beside {@code out} that a run leaves only while it works: temporary folders, journals, locks. */
    static List<String> leftovers(Path out) {
        Path parent = out.toAbsolutePath().getParent();
        String name = out.getFileName().toString();
        try (Stream<Path> s = Files.list(parent)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("." + name + OutputFolder.TEMP_MARK) || n.equals("." + name + ".jmerge-lock"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A refused run: the exit code, one line on stderr with every fragment, no trace, nothing written. */
    static void assertRefused(Result r, int code, Path out, String... fragments) {
        assertThat(r.errLines()).as("stderr of a refused run:\n%s", r.err()).hasSize(1);
        String line = r.errLines().getFirst();
        assertThat(line).startsWith("error: ").contains(fragments)
                .doesNotContain("Exception", "\tat ", "internal failure");
        assertThat(r.code()).as("exit code; stderr: %s", line).isEqualTo(code);
        assertThat(out).doesNotExist();
        assertThat(leftovers(out)).isEmpty();
    }
}

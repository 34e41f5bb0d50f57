package dev.jmerge.e2e;

import dev.jmerge.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process and captures what it prints. */
public record Cli(int exitCode, String out, String err) {

    public static Cli run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(rc, out.toString(), err.toString());
    }

    /** As {@link #run(String...)} with the given environment variables (COLUMNS, HF_*, JMERGE_PROGRESS). */
    public static Cli run(java.util.Map<String, String> env, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.run(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(rc, out.toString(), err.toString());
    }

    /** stderr lines, blank ones left out. */
    public java.util.List<String> errLines() {
        return err.lines().filter(l -> !l.isBlank()).toList();
    }

    /** stderr without the notes every run may print (ignored flags, kernel choice). */
    public String errors() {
        return err.lines().filter(l -> !l.startsWith("note: ")).reduce("", (a, b) -> a.isEmpty() ? b : a + "\n" + b);
    }
}

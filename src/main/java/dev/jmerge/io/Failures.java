package dev.jmerge.io;

import dev.jmerge.error.MergeException;
import dev.jmerge.error.OutputWriteException;
import java.io.IOException;
import java.nio.file.Path;

/** Builds the one-line {@code <file>: <what>; expected <what>} messages of the weight readers and writers. */
public final class Failures {

    private Failures() {}

    public static MergeException bad(Path file, String what, String expected) {
        return new MergeException(file + ": " + oneLine(what) + "; expected " + oneLine(expected));
    }

    public static MergeException bad(Path file, String what, String expected, Throwable cause) {
        return new MergeException(file + ": " + oneLine(what) + "; expected " + oneLine(expected), cause);
    }

    /** As {@link #bad}, for a failed write of an output file that reached {@code reach} bytes (-1: not one write). */
    public static OutputWriteException writeFailed(Path file, long reach, String what, String expected, IOException cause) {
        return new OutputWriteException(file, reach, file + ": " + oneLine(what) + "; expected " + oneLine(expected), cause);
    }

    /** Quotes a name from a hostile file so that it cannot break the one-line message or flood the terminal. */
    public static String quote(String s) {
        String shown = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return "'" + oneLine(shown) + "'";
    }

    public static String oneLine(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", c));
            else b.appendCodePoint(c);
        });
        return b.toString();
    }
}

package dev.jmerge.cli;

import java.util.List;

/** A command line as the model card records it, quoted so that it can be pasted into a shell. */
final class Invocation {

    private Invocation() {}

    static String of(String command, List<String> args) {
        StringBuilder sb = new StringBuilder(command);
        for (String a : args) {
            sb.append(' ').append(a.matches("[A-Za-z0-9_@%+=:,./-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }
}

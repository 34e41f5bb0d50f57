package dev.jmerge.error;

/** A merge started and could not finish: a broken input file, a failed write, a full disk (exit code 1). */
public class MergeException extends JmergeException {

    public MergeException(String message) { super(message, null); }

    public MergeException(String message, Throwable cause) { super(message, cause); }

    @Override
    public int exitCode() { return 1; }
}

package dev.jmerge.error;

/**
 * A failure the user can act on. The message is one line naming the file, YAML key or tensor and what was
 * expected; the CLI prints it without a stack trace (unless -v) and exits with {@link #exitCode()}.
 */
public abstract class JmergeException extends RuntimeException {

    protected JmergeException(String message, Throwable cause) {
        super(message, cause);
    }

    /** 2 for usage and configuration errors, 1 for failures while merging. */
    public abstract int exitCode();
}

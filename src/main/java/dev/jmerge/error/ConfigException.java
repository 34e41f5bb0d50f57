package dev.jmerge.error;

/** The config, the command line or a referenced model does not allow a merge (exit code 2). */
public class ConfigException extends JmergeException {

    public ConfigException(String message) { super(message, null); }

    public ConfigException(String message, Throwable cause) { super(message, cause); }

    @Override
    public int exitCode() { return 2; }
}

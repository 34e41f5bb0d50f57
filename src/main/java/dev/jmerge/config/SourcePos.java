package dev.jmerge.config;

/** Where a value stands in the YAML file (1-based line and column), for error messages. */
public record SourcePos(String file, int line, int column) {

    public static final SourcePos UNKNOWN = new SourcePos("<config>", 0, 0);

    /** "config.yml line 12" style prefix. */
    @Override
    public String toString() {
        return line > 0 ? file + " line " + line : file;
    }
}

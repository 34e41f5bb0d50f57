package dev.jmerge.cli;

import java.io.PrintWriter;
import java.util.Map;

/**
 * What every command runs against: the environment variables (HF_*, COLUMNS; a map so tests can give their own)
 * and the two output streams (stdout for results such as a --dry-run plan, stderr for everything else).
 */
public record CliContext(Map<String, String> env, PrintWriter out, PrintWriter err) {}

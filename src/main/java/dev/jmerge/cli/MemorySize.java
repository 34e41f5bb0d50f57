package dev.jmerge.cli;

import java.util.Locale;
import picocli.CommandLine;

/** {@code --memory} values: bytes with an optional K, M, G or T suffix (binary: 2¹⁰, 2²⁰...), e.g. 512M, 2G. */
final class MemorySize implements CommandLine.ITypeConverter<Long> {

    @Override
    public Long convert(String value) {
        String v = value.strip().toUpperCase(Locale.ROOT);
        if (v.endsWith("IB")) v = v.substring(0, v.length() - 2);
        else if (v.endsWith("B")) v = v.substring(0, v.length() - 1);
        int shift = 0;
        if (!v.isEmpty()) {
            shift = switch (v.charAt(v.length() - 1)) {
                case 'K' -> 10;
                case 'M' -> 20;
                case 'G' -> 30;
                case 'T' -> 40;
                default -> 0;
            };
            if (shift != 0) v = v.substring(0, v.length() - 1);
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n <= 0) throw new NumberFormatException();
            return Math.multiplyExact(n, 1L << shift);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException("'" + value
                    + "' is not a memory size: a positive integer with an optional K, M or G suffix, e.g. 512M or 2G");
        }
    }
}

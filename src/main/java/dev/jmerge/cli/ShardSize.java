package dev.jmerge.cli;

import picocli.CommandLine;

/** mergekit's shard size syntax: an integer with an optional K, M or B suffix (decimal: 10³, 10⁶, 10⁹). */
final class ShardSize implements CommandLine.ITypeConverter<Long> {

    @Override
    public Long convert(String value) {
        String v = value.strip().toUpperCase(java.util.Locale.ROOT);
        long mult = 1;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'K' -> mult = 1_000L;
                case 'M' -> mult = 1_000_000L;
                case 'B' -> mult = 1_000_000_000L;
                default -> mult = 1;
            }
            if (mult != 1) v = v.substring(0, v.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(v), mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException("'" + value
                    + "' is not a shard size: an integer with an optional K, M or B suffix, e.g. 5B or 500M");
        }
    }
}

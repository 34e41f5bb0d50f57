package dev.jmerge.cli;

import java.util.Locale;

/** Human-readable byte counts (binary units). */
final class Bytes {

    private Bytes() {}

    static String human(long b) {
        if (b < 1024) return b + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}

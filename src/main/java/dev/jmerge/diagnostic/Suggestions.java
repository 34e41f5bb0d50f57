package dev.jmerge.diagnostic;

import java.util.Collection;

/** "Did you mean": the known word closest to a misspelt one, by edit distance with adjacent transpositions. */
public final class Suggestions {

    private Suggestions() {}

    /**
     * The entry of {@code known} closest to {@code word}, when it is close enough to be a slip of the keyboard (one
     * edit for words of up to four characters, two beyond), else null. Ties go to the first in alphabetical order.
     */
    public static String closest(String word, Collection<String> known) {
        int limit = word.length() <= 4 ? 1 : 2;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : new java.util.TreeSet<>(known)) {
            if (k.equals(word)) continue;
            int d = distance(word, k);
            if (d <= limit && d < word.length() && d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
    static int distance(String a, String b) {
        int n = a.length(), m = b.length();
        int[][] d = new int[n + 1][m + 1];
        for (int i = 0; i <= n; i++) d[i][0] = i;
        for (int j = 0; j <= m; j++) d[0][j] = j;
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= m; j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[n][m];
    }
}

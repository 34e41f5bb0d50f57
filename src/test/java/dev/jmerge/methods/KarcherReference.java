package dev.jmerge.methods;

import static dev.jmerge.methods.InterpTestData.dot;
import static dev.jmerge.methods.InterpTestData.norm;

/** mergekit's Karcher-mean iteration (compat §2) on full float64 vectors, as written in the spec, for tests. */
public final class KarcherReference {

    private KarcherReference() {}

    /** The Karcher mean of {@code x} (one row per input), {@code max_iter} and {@code tol} as in the config. */
    public static double[] karcher(double[][] x, int maxIter, double tol) {
        int n = x.length, len = x[0].length;
        double[] r = new double[n];
        java.util.List<double[]> units = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            r[i] = norm(x[i]);
            if (r[i] > tol) {
                double[] u = x[i].clone();
                for (int e = 0; e < len; e++) u[e] /= r[i];
                units.add(u);
            }
        }
        if (units.isEmpty()) return new double[len];
        double a = 1.0 / units.size();
        double[] u = new double[len];
        for (double[] ui : units) for (int e = 0; e < len; e++) u[e] += a * ui[e];
        double un = norm(u);
        if (un < tol) u = units.get(0).clone();
        else for (int e = 0; e < len; e++) u[e] /= un;
        for (int it = 0; it < maxIter; it++) {
            double[] tan = new double[len];
            for (double[] ui : units) {
                double c = Math.max(-1, Math.min(1, dot(u, ui)));
                double th = Math.acos(c);
                if (th < tol) continue;
                for (int e = 0; e < len; e++) tan[e] += a * th / Math.sin(th) * (ui[e] - c * u[e]);
            }
            double tn = norm(tan);
            if (tn < tol) break;
            for (int e = 0; e < len; e++) u[e] = Math.cos(tn) * u[e] + Math.sin(tn) * tan[e] / tn;
            double nn = norm(u);
            if (nn > tol) for (int e = 0; e < len; e++) u[e] /= nn;
        }
        double s = 0;
        for (double ri : r) s += ri / n;
        for (int e = 0; e < len; e++) u[e] *= s;
        return u;
    }
}

package dev.jmerge.linalg;

/**
 * A matrix that is read in blocks of whole rows, as many times as an algorithm needs, and never held whole:
 * all a streamed factorisation gets to see of it.
 */
public interface RowSource {

    int rows();

    int cols();

    /** Rows {@code [first, first + count)}, row-major, into {@code dst[0, count · cols())}. */
    void read(int first, int count, float[] dst);
}

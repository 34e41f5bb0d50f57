package dev.jmerge.tensor;

import java.util.Arrays;

/**
 * A tensor's dimensions, outermost first: what headers, plans, writers and methods pass between each other.
 * Dimensions are never negative and their product fits in a long, so {@link #numel()} cannot overflow.
 */
public record Shape(long[] dims) {

    public static final Shape SCALAR = new Shape(new long[0]);

    public Shape {
        dims = dims.clone();
        long n = 1;
        for (long d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension " + d + " in " + Arrays.toString(dims));
            n = Math.multiplyExact(n, d);
        }
    }

    public static Shape of(long... dims) { return new Shape(dims); }

    @Override
    public long[] dims() { return dims.clone(); }

    public int rank() { return dims.length; }

    public long dim(int axis) { return dims[axis]; }

    /** Number of elements: the product of the dimensions (1 for a scalar, 0 if any dimension is 0). */
    public long numel() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    /** Bytes of the tensor in {@code dtype}; throws {@link ArithmeticException} beyond a long. */
    public long byteSize(DType dtype) { return Math.multiplyExact(numel(), (long) dtype.byteSize()); }

    /** Rows of the tensor seen as a matrix: the first dimension for 2-D and higher, 1 for 0-D and 1-D. */
    public long rows() { return dims.length >= 2 ? dims[0] : 1; }

    /** Elements per row of that matrix ({@code numel / rows}). */
    public long cols() {
        long r = rows();
        return r == 0 ? 0 : numel() / r;
    }

    /** The last dimension for 2-D and higher (a row of contiguous elements), 1 for 0-D and 1-D. */
    public long lastAxis() { return dims.length >= 2 ? dims[dims.length - 1] : 1; }

    @Override
    public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }

    @Override
    public int hashCode() { return Arrays.hashCode(dims); }

    /** {@code [2048, 512]}, as messages and the plan report show shapes. */
    @Override
    public String toString() { return Arrays.toString(dims); }
}

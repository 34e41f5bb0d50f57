package dev.jmerge.kernels;

/**
 * The products a streamed low-rank factorisation spends its time in: a row block of a large matrix times a
 * thin one, and the transposed product accumulated over row blocks. Matrices are float32, row-major, in
 * arrays read from the given offsets. Each output element is updated by fused multiply-adds in a fixed order
 * (ascending {@code c} in {@link #multiplyAdd}, ascending row in {@link #transposedMultiplyAdd}), so every
 * implementation, at every vector width, gives bit-identical results to {@link ScalarMatrixKernels}.
 */
public interface MatrixKernels {

    String name();

    /**
     * {@code C += A·B}: {@code c[cOff + i·k + j] += Σ_c a[aOff + i·n + c] · b[c·k + j]} for {@code i < rows},
     * {@code j < k}, with A {@code rows × n} and B {@code n × k}.
     */
    void multiplyAdd(float[] a, int aOff, int rows, int n, float[] b, int k, float[] c, int cOff);

    /**
     * {@code Zᵀ += Yᵀ·A}, that is {@code Z += Aᵀ·Y} kept transposed:
     * {@code zt[j·n + c] += Σ_i y[yOff + i·k + j] · a[aOff + i·n + c]} for {@code j < k}, {@code c < n}, with
     * A {@code rows × n}, Y {@code rows × k} and Zᵀ {@code k × n} (so that lanes run along A's long rows).
     */
    void transposedMultiplyAdd(float[] a, int aOff, int rows, int n, float[] y, int yOff, int k, float[] zt);

    /** The Vector API implementation when {@link KernelsProvider} chose the vector kernels, else the scalar one. */
    static MatrixKernels get() {
        return Holder.INSTANCE;
    }

    /** Lazily chosen once, following the element kernels' choice. */
    final class Holder {
        static final MatrixKernels INSTANCE = choose();

        private Holder() {}

        private static MatrixKernels choose() {
            if (KernelsProvider.get() instanceof ScalarKernels) return new ScalarMatrixKernels();
            try {
                return (MatrixKernels) Class.forName("dev.jmerge.kernels.panama.PanamaMatrixKernels")
                        .getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return new ScalarMatrixKernels();
            }
        }
    }
}

package dev.jmerge.methods;

/** Iterates a tensor in aligned tiles: the same element ranges for every input and every pass. */
public final class Tiles {

    /** Receives one tile: element offset into the tensor and its length. */
    @FunctionalInterface
    public interface TileVisitor {
        void visit(long offset, int len);
    }

    private Tiles() {}

    /** Visits {@code [0, numel)} in order, in tiles of at most {@code chunk} elements. */
    public static void forEach(long numel, int chunk, TileVisitor visitor) {
        for (long off = 0; off < numel; off += chunk) {
            visitor.visit(off, (int) Math.min(chunk, numel - off));
        }
    }

    /**
     * Visits whole rows: each tile is a run of complete rows of {@code cols} elements, as many as fit in
     * {@code chunk} (at least one, so a row longer than a chunk comes as one tile).
     */
    public static void forEachRows(long rows, long cols, int chunk, TileVisitor visitor) {
        long perTile = Math.max(1, chunk / Math.max(1, cols));
        for (long r = 0; r < rows; r += perTile) {
            long n = Math.min(perTile, rows - r);
            visitor.visit(r * cols, Math.toIntExact(n * cols));
        }
    }
}

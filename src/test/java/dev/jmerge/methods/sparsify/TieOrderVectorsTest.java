package dev.jmerge.methods.sparsify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every case torch 1.13 answered in {@code tie-order-vectors} (copied from {@code shared/}): the full order of
 * {@link LibstdcxxSort} against the case's SHA-256 (and its listed indices), and, where the case gives
 * mergekit's keep set, the production path ({@link TorchSelection}: radix passes, then {@link TorchOrder}
 * only in the ranges holding a cut) against that bitmap.
 */
class TieOrderVectorsTest {

    record Case(String file, int number, JsonNode spec, JsonNode input) {
        @Override public String toString() {
            return file + "#" + number + " " + spec.path("input").asString() + " " + spec.path("op").asString()
                    + (spec.has("k") ? " k=" + spec.path("k").asInt() + (spec.path("sorted").asBoolean() ? " sorted" : "") : "");
        }
    }

    static Stream<Case> cases() throws IOException {
        List<Case> all = new ArrayList<>();
        for (String f : List.of("small.json", "medium.json", "large.json")) {
            JsonNode doc;
            try (InputStream s = TieOrderVectorsTest.class.getResourceAsStream("/tie-order-vectors/" + f)) {
                doc = JsonMapper.shared().readTree(s);
            }
            int i = 0;
            for (JsonNode c : doc.path("cases")) all.add(new Case(f, i++, c, doc.path("inputs").path(c.path("input").asString())));
        }
        return all.stream();
    }

    @Test
    void allNinetyTwoCasesAreThere() throws IOException {
        assertThat(cases().count()).isEqualTo(92);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reproducesTorch(Case c) {
        float[] x = floats(c.input().path("x_f32le_b64").asString());
        int[] shape = ints(c.input().path("shape"));
        int[] order = fullOrder(c.spec(), x, shape);
        assertThat(sha256(order)).as("sha256 of the index order").isEqualTo(c.spec().path("expected_sha256").asString());
        if (c.spec().has("expected_i32le_b64")) {
            assertThat(order).isEqualTo(i32(c.spec().path("expected_i32le_b64").asString()));
        }
        JsonNode keep = c.spec().path("keep");
        if (keep.isMissingNode() || keep.isNull() || keep.isBoolean()) return;
        int n = x.length;
        int from = keep.path("slice").get(0).asInt();
        int to = keep.path("slice").get(1).asInt();
        boolean[] want = bitmap(keep.path("bitmap_b64").asString(), n);
        int count = 0;
        for (boolean b : want) count += b ? 1 : 0;
        assertThat(count).isEqualTo(keep.path("count").asInt());
        assertThat(Selections.slice(order, n, from, to)).as("keep set from the full order").isEqualTo(want);
        for (int tile : new int[] {n, 1000, 4096}) {
            TorchSelection s = switch (c.spec().path("op").asString()) {
                case "argsort_desc" -> TorchSelection.sort(n, true, from, to, true, Selections.scratch(n));
                case "sort_asc" -> TorchSelection.sort(n, false, from, to, true, Selections.scratch(n));
                case "topk_largest" -> {
                    int k = c.spec().path("k").asInt();
                    yield TorchSelection.topk(n, nonzero -> k, Selections.scratch(n));
                }
                default -> throw new AssertionError("no keep set expected for " + c);
            };
            assertThat(Selections.kept(s, x, tile)).as("kept by the production path, tiles of %d", tile).isEqualTo(want);
        }
    }

    private static int[] fullOrder(JsonNode spec, float[] x, int[] shape) {
        return switch (spec.path("op").asString()) {
            case "argsort_desc" -> LibstdcxxSort.argsort(x, true);
            case "sort_asc" -> LibstdcxxSort.argsort(x, false);
            case "topk_largest", "topk_smallest" -> LibstdcxxSort.topk(x, spec.path("k").asInt(),
                    spec.path("op").asString().equals("topk_largest"), spec.path("sorted").asBoolean());
            case "argsort_rows_asc" -> {
                int rows = shape[0], cols = shape[1];
                int[] out = new int[rows * cols];
                for (int r = 0; r < rows; r++) {
                    float[] row = java.util.Arrays.copyOfRange(x, r * cols, (r + 1) * cols);
                    System.arraycopy(LibstdcxxSort.argsort(row, false), 0, out, r * cols, cols);
                }
                yield out;
            }
            default -> throw new AssertionError("unknown op " + spec.path("op"));
        };
    }

    private static int[] ints(JsonNode list) {
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = list.get(i).asInt();
        return out;
    }

    private static float[] floats(String b64) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(b64)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    private static int[] i32(String b64) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(b64)).order(ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }

    private static boolean[] bitmap(String b64, int n) {
        byte[] bits = Base64.getDecoder().decode(b64);
        boolean[] out = new boolean[n];
        for (int i = 0; i < n; i++) out[i] = ((bits[i >> 3] >> (i & 7)) & 1) != 0;
        return out;
    }

    static String sha256(int[] order) {
        ByteBuffer b = ByteBuffer.allocate(order.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(order);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}

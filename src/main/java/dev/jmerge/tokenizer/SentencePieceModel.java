package dev.jmerge.tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The pieces of a SentencePiece {@code tokenizer.model}, read straight from its protobuf: ModelProto field 1
 * is a repeated SentencePiece message {1: piece, 2: score (float), 3: type (enum)}. Every other field is
 * skipped, so no protobuf library is needed. A piece's id is its position.
 */
public record SentencePieceModel(List<Piece> pieces) {

    /** SentencePiece piece types, numbered as in sentencepiece_model.proto. */
    public enum Type { NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE }

    public record Piece(String piece, float score, Type type) {}

    /** @throws IllegalArgumentException when the bytes are not a well-formed ModelProto */
    public static SentencePieceModel parse(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Piece> pieces = new ArrayList<>();
        while (b.hasRemaining()) {
            long tag = varint(b);
            int field = (int) (tag >>> 3), wire = (int) (tag & 7);
            if (field == 1 && wire == 2) {
                int len = length(b);
                pieces.add(piece(b.slice(b.position(), len).order(ByteOrder.LITTLE_ENDIAN)));
                b.position(b.position() + len);
            } else {
                skip(b, wire);
            }
        }
        return new SentencePieceModel(List.copyOf(pieces));
    }

    private static Piece piece(ByteBuffer b) {
        String piece = null;
        float score = 0f;
        Type type = Type.NORMAL;
        while (b.hasRemaining()) {
            long tag = varint(b);
            int field = (int) (tag >>> 3), wire = (int) (tag & 7);
            if (field == 1 && wire == 2) {
                int len = length(b);
                piece = new String(bytes(b, len), StandardCharsets.UTF_8);
            } else if (field == 2 && wire == 5) {
                score = b.getFloat();
            } else if (field == 3 && wire == 0) {
                long t = varint(b);
                if (t < 1 || t > Type.values().length) throw new IllegalArgumentException("unknown piece type " + t);
                type = Type.values()[(int) t - 1];
            } else {
                skip(b, wire);
            }
        }
        if (piece == null) throw new IllegalArgumentException("a piece without its text");
        return new Piece(piece, score, type);
    }

    private static byte[] bytes(ByteBuffer b, int len) {
        byte[] out = new byte[len];
        b.get(out);
        return out;
    }

    private static int length(ByteBuffer b) {
        long len = varint(b);
        if (len < 0 || len > b.remaining()) throw new IllegalArgumentException("field length past the end");
        return (int) len;
    }

    private static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!b.hasRemaining()) throw new IllegalArgumentException("truncated varint");
            byte x = b.get();
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) return v;
        }
        throw new IllegalArgumentException("varint longer than 10 bytes");
    }

    private static void skip(ByteBuffer b, int wire) {
        switch (wire) {
            case 0 -> varint(b);
            case 1 -> advance(b, 8);
            case 2 -> advance(b, length(b));
            case 5 -> advance(b, 4);
            default -> throw new IllegalArgumentException("unsupported wire type " + wire);
        }
    }

    private static void advance(ByteBuffer b, int n) {
        if (n > b.remaining()) throw new IllegalArgumentException("field past the end");
        b.position(b.position() + n);
    }
}

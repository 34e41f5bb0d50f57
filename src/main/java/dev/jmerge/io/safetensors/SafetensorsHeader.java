package dev.jmerge.io.safetensors;

import static dev.jmerge.io.Failures.bad;
import static dev.jmerge.io.Failures.quote;

import dev.jmerge.io.TensorInfo;
import dev.jmerge.tensor.DType;
import dev.jmerge.tensor.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;

/**
 * The validated header of a safetensors file: an 8-byte little-endian length N, N bytes of UTF-8 JSON, then the
 * data section. Everything a hostile or truncated file could get wrong is checked here, against the file size,
 * before any tensor byte is touched; every failure is a {@link dev.jmerge.error.MergeException} naming the file.
 *
 * <p>Gaps between tensors and unused bytes after the last one are accepted (the reference reader refuses them;
 * they do no harm to a reader that only follows offsets); overlapping ranges are refused.
 *
 * @param file        the file the header came from, for messages
 * @param headerLength N, the JSON length including any padding
 * @param fileSize    the size of the whole file
 * @param tensors     tensors in the order the JSON lists them
 * @param metadata    the {@code __metadata__} strings, in file order (empty if absent)
 */
public record SafetensorsHeader(Path file, long headerLength, long fileSize, Map<String, TensorInfo> tensors,
                                Map<String, String> metadata) {

    /** The reference implementation's limit; larger headers are a corrupt length field, not a real model. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    static final int LENGTH_FIELD_BYTES = 8;

    private static final String ACCEPTED_DTYPES =
            Arrays.stream(DType.values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
    private static final String ENTRY_FORM = "{\"dtype\": ..., \"shape\": [...], \"data_offsets\": [begin, end]}";

    public SafetensorsHeader {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** File offset of the data section: {@code 8 + N}. */
    public long dataOffset() { return LENGTH_FIELD_BYTES + headerLength; }

    /** Bytes after the header: the data section, including any unused bytes. */
    public long dataSize() { return fileSize - dataOffset(); }

    /** Bytes of the data section that no tensor covers (gaps and trailing bytes); 0 for a tightly packed file. */
    public long unusedBytes() {
        long used = 0;
        for (TensorInfo t : tensors.values()) used += t.byteSize();
        return dataSize() - used;
    }

    /** Reads and validates the header of an open file; reads only the first {@code 8 + N} bytes. */
    public static SafetensorsHeader read(Path file, FileChannel channel) {
        try {
            long size = channel.size();
            if (size < LENGTH_FIELD_BYTES) {
                throw bad(file, "file is " + size + " bytes, too short for the 8-byte header length",
                        "a safetensors file");
            }
            ByteBuffer lengthField = readFully(channel, 0, LENGTH_FIELD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            long n = lengthField.getLong(0);
            long room = size - LENGTH_FIELD_BYTES;
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw bad(file, "header length field is " + Long.toUnsignedString(n) + " bytes",
                        "at most " + MAX_HEADER_BYTES + " (a safetensors file)");
            }
            if (n > room) {
                throw bad(file, "header length field is " + n + " bytes but only " + room + " bytes follow it",
                        "a complete safetensors file");
            }
            byte[] json = readFully(channel, LENGTH_FIELD_BYTES, (int) n).array();
            return parse(file, json, size);
        } catch (IOException e) {
            throw bad(file, "cannot read the header (" + e + ")", "a readable file", e);
        }
    }

    /**
     * Parses and validates header JSON that was preceded by its 8-byte length in a file of {@code fileSize} bytes.
     */
    public static SafetensorsHeader parse(Path file, byte[] json, long fileSize) {
        requireUtf8(file, json);
        long dataSize = fileSize - LENGTH_FIELD_BYTES - json.length;
        if (dataSize < 0) throw new IllegalArgumentException("header longer than the file");
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        try (JsonParser p = Json.FACTORY.createParser(ObjectReadContext.empty(), json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw bad(file, "header is not a JSON object", "{\"tensor name\": " + ENTRY_FORM + ", ...}");
            }
            boolean sawMetadata = false;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = nameOf(file, p, t);
                p.nextToken();
                if (name.equals("__metadata__")) {
                    if (sawMetadata) throw bad(file, "__metadata__ appears twice", "one __metadata__ object");
                    sawMetadata = true;
                    readMetadata(file, p, metadata);
                } else {
                    if (tensors.containsKey(name)) {
                        throw bad(file, "tensor " + quote(name) + " appears twice in the header", "unique tensor names");
                    }
                    tensors.put(name, readTensor(file, p, name, LENGTH_FIELD_BYTES + json.length, dataSize));
                }
            }
            if (p.nextToken() != null) {
                throw bad(file, "header has content after its JSON object", "only space padding after the object");
            }
        } catch (JacksonException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
            String where = at < 0 ? "" : " at file byte " + (LENGTH_FIELD_BYTES + at);
            throw bad(file, "header is not valid JSON" + where + " (" + e.getOriginalMessage() + ")",
                    "a JSON object of tensor entries", e);
        }
        refuseOverlaps(file, tensors, LENGTH_FIELD_BYTES + json.length);
        return new SafetensorsHeader(file, json.length, fileSize, tensors, metadata);
    }

    private static void readMetadata(Path file, JsonParser p, Map<String, String> metadata) {
        if (p.currentToken() == JsonToken.VALUE_NULL) return;
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw bad(file, "__metadata__ is not an object", "an object of string values");
        }
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = nameOf(file, p, t);
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw bad(file, "__metadata__ key " + quote(key) + " has a non-string value", "string values");
            }
            if (metadata.putIfAbsent(key, p.getString()) != null) {
                throw bad(file, "__metadata__ key " + quote(key) + " appears twice", "unique keys");
            }
        }
    }

    /** @param dataOffset where the data section starts in the file: the tensor's offsets count from there */
    private static TensorInfo readTensor(Path file, JsonParser p, String name, long dataOffset, long dataSize) {
        String tensor = "tensor " + quote(name);
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw bad(file, tensor + " is not an object", ENTRY_FORM);
        }
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = nameOf(file, p, t);
            p.nextToken();
            switch (key) {
                case "dtype" -> {
                    if (dtype != null) throw bad(file, tensor + " has dtype twice", "one dtype");
                    dtype = readDType(file, p, tensor);
                }
                case "shape" -> {
                    if (shape != null) throw bad(file, tensor + " has shape twice", "one shape");
                    shape = readLongs(file, p, tensor + " shape");
                }
                case "data_offsets" -> {
                    if (offsets != null) throw bad(file, tensor + " has data_offsets twice", "one data_offsets");
                    offsets = readLongs(file, p, tensor + " data_offsets");
                }
                // Unknown keys carry nothing we need; the reference reader ignores them too.
                default -> p.skipChildren();
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            throw bad(file, tensor + " lacks " + (dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets"),
                    ENTRY_FORM);
        }
        if (offsets.length != 2) {
            throw bad(file, tensor + " data_offsets has " + offsets.length + " numbers", "[begin, end]");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw bad(file, tensor + " data_offsets [" + begin + ", " + end + "] end before begin", "begin <= end");
        }
        if (end > dataSize) {
            throw bad(file, tensor + " data_offsets [" + begin + ", " + end + "] run past the data section of "
                    + dataSize + " bytes", "offsets within the file");
        }
        long bytes;
        Shape dims;
        try {
            dims = new Shape(shape);
            bytes = dims.byteSize(dtype);
        } catch (ArithmeticException e) {
            throw bad(file, tensor + " shape " + Arrays.toString(shape) + " has too many elements",
                    "a size that fits in 2^63 bytes");
        }
        if (end - begin != bytes) {
            throw bad(file, tensor + " data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes", bytes + " bytes for " + dtype.safetensorsName() + " " + Arrays.toString(shape));
        }
        return new TensorInfo(name, dtype, dims, dataOffset + begin, dataOffset + end);
    }

    private static DType readDType(Path file, JsonParser p, String tensor) {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw bad(file, tensor + " dtype is not a string", "one of " + ACCEPTED_DTYPES);
        }
        String s = p.getString();
        return DType.fromSafetensors(s).orElseThrow(
                () -> bad(file, tensor + " has dtype " + quote(s), "one of " + ACCEPTED_DTYPES));
    }

    /** A JSON array of non-negative integers that fit in a long. */
    private static long[] readLongs(Path file, JsonParser p, String what) {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw bad(file, what + " is not an array", "an array of non-negative integers");
        }
        List<Long> values = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t == null) throw truncated(file);
            boolean fitsLong = t == JsonToken.VALUE_NUMBER_INT
                    && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
            if (!fitsLong) {
                throw bad(file, what + " holds " + describe(p), "non-negative integers below 2^63");
            }
            long v = p.getLongValue();
            if (v < 0) throw bad(file, what + " holds " + v, "non-negative integers");
            values.add(v);
        }
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    /** The key at a token inside an object; Jackson reports malformed input, this guards the end of it. */
    private static String nameOf(Path file, JsonParser p, JsonToken t) {
        if (t != JsonToken.PROPERTY_NAME) throw truncated(file);
        return p.currentName();
    }

    private static RuntimeException truncated(Path file) {
        return bad(file, "header JSON ends inside an object or array", "a complete JSON object");
    }

    private static String describe(JsonParser p) {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_STRING) return "the string " + quote(p.getString());
        if (t.isScalarValue()) {
            String text = p.getString();
            return quote(text == null ? t.name() : text);
        }
        return "a nested " + (t == JsonToken.START_ARRAY ? "array" : "object");
    }

    private static void refuseOverlaps(Path file, Map<String, TensorInfo> tensors, long dataOffset) {
        List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo prev = byOffset.get(i - 1);
            TensorInfo cur = byOffset.get(i);
            if (cur.begin() < prev.end()) {
                throw bad(file, "tensors " + quote(prev.name()) + " [" + (prev.begin() - dataOffset) + ", "
                        + (prev.end() - dataOffset) + ") and " + quote(cur.name()) + " [" + (cur.begin() - dataOffset)
                        + ", " + (cur.end() - dataOffset) + ") overlap",
                        "disjoint data_offsets");
            }
        }
    }

    /**
     * UTF-8 with no raw control characters but JSON whitespace. Besides giving a clear message, this keeps Jackson
     * from guessing UTF-16 or UTF-32 from zero bytes: the header is UTF-8 by definition.
     */
    private static void requireUtf8(Path file, byte[] json) {
        for (int i = 0; i < json.length; i++) {
            byte b = json[i];
            if (b >= 0 && b < 0x20 && b != '\t' && b != '\n' && b != '\r') {
                throw bad(file, String.format("header byte at file offset %d is the control character 0x%02x",
                        LENGTH_FIELD_BYTES + i, b), "UTF-8 JSON text");
            }
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(json);
        CharBuffer out = CharBuffer.allocate(8192);
        try {
            while (true) {
                CoderResult r = decoder.decode(in, out, true);
                if (r.isError()) r.throwException();
                if (r.isUnderflow()) break;
                out.clear();
            }
            out.clear();
            CoderResult r = decoder.flush(out);
            if (r.isError()) r.throwException();
        } catch (CharacterCodingException e) {
            throw bad(file, "header byte at file offset " + (LENGTH_FIELD_BYTES + in.position())
                    + " is not valid UTF-8", "UTF-8 JSON", e);
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            int read = channel.read(buf, position + buf.position());
            if (read < 0) throw new IOException("file ended at byte " + (position + buf.position()));
        }
        return buf.flip();
    }
}

package dev.jmerge.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.io.TensorInfo;
import dev.jmerge.error.MergeException;
import dev.jmerge.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way a header can be wrong ends in one MergeException line naming the file, the culprit and the remedy. */
class SafetensorsHeaderTest {

    @TempDir
    Path dir;

    private static final byte[] SIXTEEN = new byte[16];

    private static Arguments bad(String label, byte[] bytes, String... fragments) {
        return Arguments.of(label, bytes, fragments);
    }

    private static Arguments badHeader(String label, String json, String... fragments) {
        return bad(label, StBytes.file(json, SIXTEEN), fragments);
    }

    private static String w(String entry) {
        return "{\"w\":" + entry + "}";
    }

    static Stream<Arguments> hostile() {
        return Stream.of(
                bad("empty file", new byte[0], "file is 0 bytes", "8-byte header length"),
                bad("shorter than the length field", new byte[5], "file is 5 bytes"),
                bad("length beyond the file", StBytes.withLength(20, new byte[4]),
                        "header length field is 20 bytes but only 4 bytes follow"),
                bad("length with the top bit set", StBytes.withLength(-1, new byte[4]),
                        "18446744073709551615", "at most 104857600"),
                bad("absurd length", StBytes.withLength(200_000_000L, new byte[4]), "200000000 bytes", "at most"),
                bad("not UTF-8", StBytes.file(new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', ':', '1', '}'}, SIXTEEN),
                        "file offset 10 is not valid UTF-8", "expected UTF-8 JSON"),
                bad("UTF-16 header", StBytes.file("{}".getBytes(StandardCharsets.UTF_16LE), SIXTEEN),
                        "file offset 9 is the control character 0x00"),
                bad("empty header", StBytes.file("", SIXTEEN), "not a JSON object"),
                badHeader("not JSON", "hello", "not valid JSON"),
                badHeader("array root", "[1,2]", "not a JSON object"),
                badHeader("string root", "\"x\"", "not a JSON object"),
                badHeader("truncated object", "{\"w\":{\"dtype\":", "not valid JSON"),
                badHeader("trailing value", "{} {}", "content after its JSON object"),
                badHeader("trailing garbage", "{}x", "not valid JSON"),
                badHeader("entry not an object", w("[1]"), "tensor 'w' is not an object"),
                badHeader("unknown dtype", w("{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,2]}"),
                        "tensor 'w' has dtype 'F4'", "expected one of F64, F32, F16, BF16"),
                badHeader("dtype not a string", w("{\"dtype\":4,\"shape\":[4],\"data_offsets\":[0,16]}"),
                        "tensor 'w' dtype is not a string"),
                badHeader("lowercase dtype", w("{\"dtype\":\"f32\",\"shape\":[4],\"data_offsets\":[0,16]}"),
                        "has dtype 'f32'"),
                badHeader("missing dtype", w("{\"shape\":[4],\"data_offsets\":[0,16]}"), "tensor 'w' lacks dtype"),
                badHeader("missing shape", w("{\"dtype\":\"F32\",\"data_offsets\":[0,16]}"), "lacks shape"),
                badHeader("missing offsets", w("{\"dtype\":\"F32\",\"shape\":[4]}"), "lacks data_offsets"),
                badHeader("dtype twice", w("{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,16]}"),
                        "tensor 'w' has dtype twice"),
                badHeader("negative dimension", w("{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}"),
                        "tensor 'w' shape holds -4", "non-negative"),
                badHeader("fractional dimension", w("{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,10]}"),
                        "tensor 'w' shape holds '2.5'"),
                badHeader("string dimension", w("{\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]}"),
                        "shape holds the string '4'"),
                badHeader("nested dimension", w("{\"dtype\":\"F32\",\"shape\":[[4]],\"data_offsets\":[0,16]}"),
                        "shape holds a nested array"),
                badHeader("shape not an array", w("{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}"),
                        "tensor 'w' shape is not an array"),
                badHeader("dimension beyond a long",
                        w("{\"dtype\":\"F32\",\"shape\":[100000000000000000000],\"data_offsets\":[0,16]}"),
                        "shape holds '100000000000000000000'", "below 2^63"),
                badHeader("element count overflows",
                        w("{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,16]}"),
                        "too many elements"),
                badHeader("byte count overflows",
                        w("{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,16]}"),
                        "too many elements"),
                badHeader("negative offset", w("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}"),
                        "tensor 'w' data_offsets holds -4"),
                badHeader("three offsets", w("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}"),
                        "data_offsets has 3 numbers", "[begin, end]"),
                badHeader("end before begin", w("{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}"),
                        "tensor 'w' data_offsets [8, 4] end before begin"),
                badHeader("end past the data", w("{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}"),
                        "tensor 'w' data_offsets [0, 32] run past the data section of 16 bytes"),
                badHeader("size mismatch", w("{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}"),
                        "tensor 'w' data_offsets [0, 8] span 8 bytes", "expected 16 bytes for F32 [4]"),
                badHeader("overlap",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                        "tensors 'a' [0, 8) and 'b' [4, 12) overlap", "disjoint"),
                badHeader("same range twice",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                + "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                        "overlap"),
                badHeader("duplicate tensor",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
                        "tensor 'a' appears twice", "unique tensor names"),
                badHeader("metadata not an object", "{\"__metadata__\":[\"pt\"]}", "__metadata__ is not an object"),
                badHeader("metadata number", "{\"__metadata__\":{\"format\":1}}",
                        "__metadata__ key 'format' has a non-string value", "string values"),
                badHeader("metadata nested", "{\"__metadata__\":{\"format\":{\"a\":\"b\"}}}", "non-string value"),
                badHeader("metadata twice", "{\"__metadata__\":{},\"__metadata__\":{}}", "__metadata__ appears twice"),
                badHeader("metadata key twice", "{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}",
                        "__metadata__ key 'k' appears twice"),
                badHeader("control characters in a name",
                        "{\"a\\nb\":{\"dtype\":\"X\",\"shape\":[],\"data_offsets\":[0,0]}}", "tensor 'a\\u000ab'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void refusesWithOneLineNamingTheFile(String label, byte[] bytes, String[] fragments) {
        Path file = StBytes.write(dir.resolve("bad.safetensors"), bytes);
        assertThatThrownBy(() -> SafetensorsFile.open(file).close())
                .isInstanceOf(MergeException.class)
                .satisfies(e -> {
                    String m = e.getMessage();
                    assertThat(m).startsWith(file + ": ").contains("; expected ").doesNotContain("\n", "\r");
                    for (String f : fragments) assertThat(m).contains(f);
                });
    }

    @Test
    void acceptsGapsTrailingBytesZeroSizeScalarsNullMetadataAndUnknownKeys() {
        String json = "{\"__metadata__\":null,"
                + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[20,24],\"extra\":{\"x\":[1,2]}},"
                + "\"z\":{\"dtype\":\"BF16\",\"shape\":[0,7],\"data_offsets\":[4,4]},"
                + "\"v\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[0,4]}}   ";
        byte[] json8 = json.getBytes(StandardCharsets.UTF_8);
        SafetensorsHeader h = SafetensorsHeader.parse(Path.of("ok.safetensors"), json8, 8 + json8.length + 32);
        assertThat(h.tensors().keySet()).containsExactly("s", "z", "v");
        assertThat(h.metadata()).isEmpty();
        assertThat(h.tensors().get("s").shape().dims()).isEmpty();
        assertThat(h.tensors().get("s").numel()).isEqualTo(1);
        assertThat(h.tensors().get("z").numel()).isZero();
        assertThat(h.dataSize()).isEqualTo(32);
        assertThat(h.unusedBytes()).isEqualTo(32 - 4 - 4);
    }

    @Test
    void offsetsBeyondFourGibibytesAreLongs() {
        long begin = 5L << 30;
        long rows = 3_000_000_000L;
        String json = "{\"big\":{\"dtype\":\"BF16\",\"shape\":[" + rows + ",2],\"data_offsets\":[" + begin + ","
                + (begin + rows * 4) + "]}}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        SafetensorsHeader h = SafetensorsHeader.parse(Path.of("huge.safetensors"), bytes,
                8 + bytes.length + begin + rows * 4);
        TensorInfo t = h.tensors().get("big");
        assertThat(t.begin()).isEqualTo(8 + bytes.length + 5_368_709_120L); // positions in the file
        assertThat(t.numel()).isEqualTo(6_000_000_000L);
        assertThat(t.byteSize()).isEqualTo(12_000_000_000L);
        assertThat(t.dtype()).isEqualTo(DType.BF16);
    }
}

package dev.jmerge.io.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.MergeException;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.io.safetensors.SafetensorsFile;
import dev.jmerge.io.TensorInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints written by real PyTorch (see resources/pytorch/make_fixtures.py) against their safetensors twins. */
class PytorchCheckpointTest {

    @TempDir Path tmp;

    static Path fixtures() {
        try {
            return Path.of(PytorchCheckpointTest.class.getResource("/pytorch").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertSameAsTwin(ModelWeights bin) {
        try (SafetensorsFile twin = SafetensorsFile.open(fixtures().resolve("single.safetensors"))) {
            assertThat(bin.names()).containsExactlyElementsOf(twin.tensors().keySet());
            for (TensorInfo expected : twin.tensors().values()) {
                TensorInfo got = bin.info(expected.name());
                assertThat(got.dtype()).as(expected.name()).isEqualTo(expected.dtype());
                assertThat(got.shape()).as(expected.name()).isEqualTo(expected.shape());
                assertThat(bin.segment(expected.name()).toArray(ValueLayout.JAVA_BYTE)).as(expected.name())
                        .isEqualTo(twin.segment(expected).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test
    void singleFileMatchesItsSafetensorsTwinForEveryDtypeOffsetAndSharedStorage() {
        try (ModelWeights w = ModelWeights.open(fixtures().resolve("single"))) {
            assertSameAsTwin(w);
            assertThat(w.info("model.layers.0.offset_view").shape().dims()).containsExactly(3, 4);
            assertThat(w.info("scalar").shape().dims()).isEmpty();
            assertThat(w.segment("scalar").get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0)).isEqualTo(2.5f);
        }
    }

    @Test
    void shardedCheckpointOpensShardsLazilyAndMatchesTheTwin() {
        try (ModelWeights w = ModelWeights.open(fixtures().resolve("sharded"))) {
            assertThat(w.files()).hasSize(2);
            assertSameAsTwin(w);
        }
    }

    @Test
    void stateDictKeyIsUnwrapped() {
        try (ModelWeights w = ModelWeights.open(fixtures().resolve("wrapped"))) {
            assertSameAsTwin(w);
        }
    }

    @Test
    void nonContiguousTensorIsRefusedNamingIt() {
        Path f = fixtures().resolve("noncontiguous/pytorch_model.bin");
        assertThatThrownBy(() -> PytorchCheckpoint.open(f)).isInstanceOf(MergeException.class)
                .hasMessageStartingWith(f + ": tensor 'w' is not contiguous (size [4, 3], stride [1, 4])");
    }

    @Test
    void picklesThatCallAnythingElseAreRefusedWithoutRunningIt() {
        Path sys = fixtures().resolve("hostile_system/pytorch_model.bin");
        assertThatThrownBy(() -> PytorchCheckpoint.open(sys)).isInstanceOf(MergeException.class)
                .hasMessageStartingWith(sys + ": refusing to load global 'posix.system'");
        Path eval = fixtures().resolve("hostile_eval/pytorch_model.bin");
        assertThatThrownBy(() -> PytorchCheckpoint.open(eval)).isInstanceOf(MergeException.class)
                .hasMessageStartingWith(eval + ": refusing to load global '__builtin__.eval'");
    }

    /** Hand-made pickles in a zip: STACK_GLOBAL is checked too, and so are opcodes outside a state dict. */
    @Test
    void stackGlobalAndForeignOpcodesAreRefused() throws IOException {
        // PROTO 4, SHORT_BINUNICODE "subprocess", SHORT_BINUNICODE "Popen", STACK_GLOBAL
        byte[] stackGlobal = concat(new byte[] {(byte) 0x80, 4}, shortUnicode("subprocess"), shortUnicode("Popen"),
                new byte[] {(byte) 0x93, '.'});
        Path a = zip(tmp.resolve("a.bin"), List.of("archive/data.pkl"), List.of(stackGlobal), false);
        assertThatThrownBy(() -> PytorchCheckpoint.open(a)).isInstanceOf(MergeException.class)
                .hasMessageContaining("refusing to load global 'subprocess.Popen'");
        // INST opcode ('i'), which pickle uses to instantiate classes by name
        byte[] inst = "(ios\nsystem\n.".getBytes();
        Path b = zip(tmp.resolve("b.bin"), List.of("archive/data.pkl"), List.of(inst), false);
        assertThatThrownBy(() -> PytorchCheckpoint.open(b)).isInstanceOf(MergeException.class)
                .hasMessageContaining("pickle opcode 0x69 is not allowed");
    }

    @Test
    void compressedStorageAndTruncatedPickleAreClearErrors() throws IOException {
        // Re-zip the real checkpoint's entries with DEFLATE: tensor data can no longer be mapped.
        Path deflated = tmp.resolve("deflated.bin");
        try (var zin = new java.util.zip.ZipFile(fixtures().resolve("single/pytorch_model.bin").toFile())) {
            java.util.List<String> names = new java.util.ArrayList<>();
            java.util.List<byte[]> datas = new java.util.ArrayList<>();
            for (ZipEntry e : java.util.Collections.list(zin.entries())) {
                names.add(e.getName());
                datas.add(zin.getInputStream(e).readAllBytes());
            }
            zip(deflated, names, datas, true);
        }
        assertThatThrownBy(() -> PytorchCheckpoint.open(deflated)).isInstanceOf(MergeException.class)
                .hasMessageContaining("is compressed");
        Path cut = zip(tmp.resolve("cut.bin"), List.of("archive/data.pkl"), List.of(new byte[] {(byte) 0x80, 2, '}'}), false);
        assertThatThrownBy(() -> PytorchCheckpoint.open(cut)).isInstanceOf(MergeException.class)
                .hasMessageContaining("truncated or malformed");
    }

    private static byte[] shortUnicode(String s) {
        byte[] b = s.getBytes();
        byte[] out = new byte[b.length + 2];
        out[0] = (byte) 0x8c;
        out[1] = (byte) b.length;
        System.arraycopy(b, 0, out, 2, b.length);
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    static Path zip(Path file, List<String> names, List<byte[]> data, boolean deflate) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            for (int i = 0; i < names.size(); i++) {
                ZipEntry e = new ZipEntry(names.get(i));
                byte[] d = data.get(i);
                if (!deflate) {
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(d.length);
                    CRC32 crc = new CRC32();
                    crc.update(d);
                    e.setCrc(crc.getValue());
                }
                z.putNextEntry(e);
                z.write(d);
                z.closeEntry();
            }
        }
        return file;
    }
}

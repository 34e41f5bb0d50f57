package dev.jmerge.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.MergeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerReaderTest {

    @TempDir
    Path tmp;

    static final List<TestTokenizers.Added> SPECIALS = List.of(new TestTokenizers.Added("<unk>", 0, true),
            new TestTokenizers.Added("<s>", 1, true));

    @Test
    void bpeVocabularyDropsTokensAtOrPastTheConfigVocabSize() {
        TestTokenizers.bpe(tmp, List.of("<unk>", "<s>", "a", "b", "ab", "zz"), List.of("a b", "z z"),
                List.of(new TestTokenizers.Added("<unk>", 0, true), new TestTokenizers.Added("<s>", 1, true),
                        new TestTokenizers.Added("<pad>", 6, true)));
        ModelTokenizer t = TokenizerReader.read(tmp, 5);
        assertThat(t.kind()).isEqualTo("BPE");
        assertThat(t.vocab()).containsExactlyInAnyOrderEntriesOf(Map.of("<unk>", 0, "<s>", 1, "a", 2, "b", 3, "ab", 4));
        assertThat(t.fullVocab()).containsEntry("zz", 5).containsEntry("<pad>", 6);
        assertThat(t.regularTokens()).containsExactly("a", "b", "ab");
        assertThat(t.addedTokens()).extracting(AddedToken::content).containsExactly("<unk>", "<s>");
        assertThat(t.id("zz")).isEqualTo(-1);
    }

    @Test
    void unigramIdsArePositions() {
        TestTokenizers.unigram(tmp, List.of("<unk>", "<s>", "▁x", "y"), SPECIALS);
        ModelTokenizer t = TokenizerReader.read(tmp, -1);
        assertThat(t.kind()).isEqualTo("Unigram");
        assertThat(t.vocab()).containsExactlyInAnyOrderEntriesOf(Map.of("<unk>", 0, "<s>", 1, "▁x", 2, "y", 3));
    }

    @Test
    void wordPieceAndWordLevel() {
        Path a = tmp.resolve("wp"), b = tmp.resolve("wl");
        TestTokenizers.wordPiece(a, List.of("[UNK]", "un", "##able"), List.of(new TestTokenizers.Added("[UNK]", 0, true)));
        TestTokenizers.wordLevel(b, List.of("<unk>", "hello", "world"), List.of());
        assertThat(TokenizerReader.read(a, 3).vocab()).containsEntry("##able", 2).hasSize(3);
        assertThat(TokenizerReader.read(b, 3).regularTokens()).containsExactly("<unk>", "hello", "world");
    }

    @Test
    void sentencePieceProtobufPiecesScoresAndTypes() throws Exception {
        List<String> pieces = List.of("<unk>", "<s>", "</s>", "▁héllo", "<tool>", "x");
        TestTokenizers.sentencePiece(tmp, pieces, Map.of("<unk>", TestTokenizers.UNKNOWN, "<s>", TestTokenizers.CONTROL,
                "</s>", TestTokenizers.CONTROL, "<tool>", TestTokenizers.USER_DEFINED));
        SentencePieceModel sp = SentencePieceModel.parse(Files.readAllBytes(tmp.resolve("tokenizer.model")));
        assertThat(sp.pieces()).extracting(SentencePieceModel.Piece::piece).containsExactlyElementsOf(pieces);
        for (int i = 0; i < pieces.size(); i++) assertThat(sp.pieces().get(i).score()).isEqualTo(-0.5f * i);
        assertThat(sp.pieces().get(3).type()).isEqualTo(SentencePieceModel.Type.NORMAL);
        assertThat(sp.pieces().get(5).type()).isEqualTo(SentencePieceModel.Type.NORMAL);

        ModelTokenizer t = TokenizerReader.read(tmp, 5);
        assertThat(t.kind()).isEqualTo("SentencePiece");
        assertThat(t.vocab()).hasSize(5).doesNotContainKey("x").containsEntry("▁héllo", 3);
        assertThat(t.addedTokens()).extracting(AddedToken::content, AddedToken::special).containsExactly(
                org.assertj.core.groups.Tuple.tuple("<unk>", true), org.assertj.core.groups.Tuple.tuple("<s>", true),
                org.assertj.core.groups.Tuple.tuple("</s>", true), org.assertj.core.groups.Tuple.tuple("<tool>", false));
    }

    @Test
    void brokenSentencePieceFileIsAMergeErrorNamingTheFile() throws Exception {
        Files.write(tmp.resolve("tokenizer.model"), new byte[] {0x0a, 0x7f, 0x01});
        assertThatThrownBy(() -> TokenizerReader.read(tmp, -1)).isInstanceOf(MergeException.class)
                .hasMessageContaining("tokenizer.model").hasMessageContaining("not a SentencePiece model");
    }

    @Test
    void unsupportedModelTypeIsNamed() throws Exception {
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Mystery\"}}");
        assertThatThrownBy(() -> TokenizerReader.read(tmp, -1)).isInstanceOf(MergeException.class)
                .hasMessageContaining("'Mystery' is not supported");
    }

    @Test
    void noTokenizerFilesMeansNull() {
        assertThat(TokenizerReader.read(tmp, -1)).isNull();
    }
}

package dev.jmerge.source.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jmerge.error.ConfigException;
import dev.jmerge.error.MergeException;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.synth.ModelShape;
import dev.jmerge.synth.SyntheticModels;
import dev.jmerge.tensor.DType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hub client against a local fake Hub: cache layout, two-phase fetch, faults. No test touches the internet. */
class HubDownloadTest {

    static final HubClient.Options FAST = new HubClient.Options(4, Duration.ofMillis(5), Duration.ofSeconds(10));

    @TempDir Path tmp;
    FakeHub hub;
    Path model;
    String commit;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        model = tmp.resolve("src-model");
        SyntheticModels.write(model, ModelShape.tiny(DType.BF16), 7, 0, 0, 20_000);
        Files.writeString(model.resolve("tokenizer.json"), "{\"version\": \"1.0\"}");
        Files.writeString(model.resolve("README.md"), "not downloaded: neither json nor weights");
        commit = hub.publish("org/base", model);
    }

    @AfterEach
    void stop() { hub.close(); }

    HubModels models(Map<String, String> extra) {
        var env = new java.util.HashMap<String, String>(Map.of("HF_ENDPOINT", hub.endpoint(),
                "HF_HOME", tmp.resolve("hf").toString()));
        env.putAll(extra);
        return new HubModels(HubSettings.from(env, null), FAST, 3, DownloadProgress.NONE);
    }

    Path repoFolder() { return tmp.resolve("hf/hub/models--org--base"); }

    @Test
    void metadataFirstThenOnlyTheFetchedShardsLandInTheHuggingfaceHubLayout() throws IOException {
        HubModels.Located loc = models(Map.of()).locate("org/base", null, false);
        assertThat(loc.folder()).isEqualTo(repoFolder().resolve("snapshots").resolve(commit));
        assertThat(Files.readString(repoFolder().resolve("refs/main"))).isEqualTo(commit);
        assertThat(loc.folder().resolve("config.json")).isRegularFile();
        assertThat(loc.folder().resolve("tokenizer.json")).isRegularFile();
        assertThat(loc.folder().resolve("README.md")).doesNotExist();
        assertThat(hub.weightRequests()).isEmpty();

        try (ModelWeights w = ModelWeights.open(loc.folder(), loc.remote())) {
            assertThat(w.pendingFiles()).hasSize(w.files().size()).hasSizeGreaterThan(2);
            // Headers come from ranged reads: planning sees every tensor without a weight byte downloaded.
            try (ModelWeights local = ModelWeights.open(model)) {
                for (String n : local.names()) assertThat(w.info(n)).isEqualTo(local.info(n));
            }
            assertThat(hub.weightRequests()).isEmpty();

            Path wanted = w.fileOf("model.layers.1.mlp.down_proj.weight");
            w.fetch(List.of(wanted));
            assertThat(w.pendingFiles()).doesNotContain(wanted).hasSize(w.files().size() - 1);
            assertThat(hub.weightRequests()).hasSize(1);
            try (ModelWeights local = ModelWeights.open(model)) {
                assertThat(w.segment("model.layers.1.mlp.down_proj.weight").toArray(ValueLayout.JAVA_BYTE))
                        .isEqualTo(local.segment("model.layers.1.mlp.down_proj.weight").toArray(ValueLayout.JAVA_BYTE));
            }
            // huggingface_hub's layout: a relative symlink into blobs/<sha256 of the content>.
            assertThat(Files.isSymbolicLink(wanted)).isTrue();
            Path target = Files.readSymbolicLink(wanted);
            assertThat(target.isAbsolute()).isFalse();
            String sha = BlobDownload.sha256(model.resolve(wanted.getFileName()));
            assertThat(target.normalize().toString()).isEqualTo("../../blobs/" + sha);
            assertThat(repoFolder().resolve("blobs").resolve(sha)).isRegularFile();
        }
    }

    @Test
    void aSecondRunOfflineFindsTheCacheWithNoServer() {
        HubModels.Located loc = models(Map.of()).locate("org/base", null, true);
        hub.close();
        HubModels.Located offline = models(Map.of("HF_HUB_OFFLINE", "1")).locate("org/base", null, false);
        assertThat(offline.folder()).isEqualTo(loc.folder());
        assertThat(offline.remote()).isNull();
        try (ModelWeights w = ModelWeights.open(offline.folder())) {
            assertThat(w.names()).contains("model.embed_tokens.weight");
        }
        assertThatThrownBy(() -> models(Map.of("HF_HUB_OFFLINE", "1")).locate("org/other", null, false))
                .isInstanceOf(ConfigException.class).hasMessageContaining("HF_HUB_OFFLINE is set");
        // Online but unreachable: the cached snapshot is used, as huggingface_hub does.
        assertThat(models(Map.of()).locate("org/base", "main", false).folder()).isEqualTo(loc.folder());
    }

    @Test
    void gatedRepoSaysHowToGetAccessAndWhichTokenWithoutPrintingIt() {
        hub.gated.add("org/base");
        assertThatThrownBy(() -> models(Map.of("HF_TOKEN", "hf_secret123")).locate("org/base", null, false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("gated or private").hasMessageContaining(hub.endpoint() + "/org/base")
                .hasMessageContaining("the HF_TOKEN environment variable").hasMessageNotContaining("hf_secret123");
        assertThatThrownBy(() -> models(Map.of()).locate("org/base", null, false))
                .hasMessageContaining("no token (HF_TOKEN unset, no token file at " + tmp.resolve("hf/token"));
    }

    @Test
    void tokenFileUnderHfHomeIsSentToTheHubButNotToTheCdn() throws IOException {
        Files.createDirectories(tmp.resolve("hf"));
        Files.writeString(tmp.resolve("hf/token"), "hf_fromfile\n");
        HubSettings s = HubSettings.from(Map.of("HF_HOME", tmp.resolve("hf").toString()), null);
        assertThat(s.token()).isEqualTo("hf_fromfile");
        assertThat(s.tokenSource()).isEqualTo("the token file " + tmp.resolve("hf/token"));
        assertThat(s.toString()).doesNotContain("hf_fromfile");
        // The fake CDN shares the Hub's host and port, so this checks only that the Hub calls carry it.
        models(Map.of()).locate("org/base", null, true);
        assertThat(hub.log).anyMatch(l -> l.startsWith("GET /api/models/") && l.endsWith(" auth"));
    }

    @Test
    void missingRepoRevisionAndFileAreNamed() {
        HubModels m = models(Map.of());
        assertThatThrownBy(() -> m.locate("org/nope", null, false)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("repo 'org/nope' not found on " + hub.endpoint());
        assertThatThrownBy(() -> m.locate("org/base", "v9", false)).isInstanceOf(ConfigException.class)
                .hasMessage("repo 'org/base' has no revision 'v9' (a branch, tag or commit)");
        HubClient c = new HubClient(m.settings(), FAST);
        assertThatThrownBy(() -> c.head("org/base", commit, "nope.json")).isInstanceOf(ConfigException.class)
                .hasMessage("repo 'org/base' has no file 'nope.json' at revision '" + commit + "'");
    }

    @Test
    void aCommitRevisionWorksAndWritesNoRef() {
        HubModels.Located loc = models(Map.of()).locate("org/base", commit, false);
        assertThat(loc.folder().getFileName().toString()).isEqualTo(commit);
        assertThat(repoFolder().resolve("refs").resolve(commit)).doesNotExist();
    }

    @Test
    void flakyFileIsRetriedAndCutTransferIsResumedWithRange() throws IOException {
        String shard = firstShard();
        hub.flaky.put(shard, new AtomicInteger(2));
        String other = secondShard();
        hub.cut.put(other, new AtomicInteger(1));
        HubModels.Located loc = models(Map.of()).locate("org/base", null, true);
        assertThat(Files.readAllBytes(loc.folder().resolve(shard))).isEqualTo(Files.readAllBytes(model.resolve(shard)));
        assertThat(Files.readAllBytes(loc.folder().resolve(other))).isEqualTo(Files.readAllBytes(model.resolve(other)));
        long half = Files.size(model.resolve(other)) / 2;
        assertThat(hub.log).contains("GET /cdn/org/base/" + other + " range=bytes=" + half + "-");
        assertThat(hub.log.stream().filter(l -> l.equals("GET /cdn/org/base/" + shard)).count()).isEqualTo(3);
        try (var s = Files.list(repoFolder().resolve("blobs"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".incomplete"));
        }
    }

    @Test
    void wrongChecksumIsRejectedAndLeavesNoBlob() throws IOException {
        String shard = firstShard();
        hub.corrupt.add(shard);
        assertThatThrownBy(() -> models(Map.of()).locate("org/base", null, true)).isInstanceOf(MergeException.class)
                .hasMessageContaining("'" + shard + "': checksum mismatch");
        String sha = BlobDownload.sha256(model.resolve(shard));
        assertThat(repoFolder().resolve("blobs").resolve(sha)).doesNotExist();
        assertThat(repoFolder().resolve("blobs").resolve(sha + ".incomplete")).doesNotExist();
    }

    @Test
    void persistentServerErrorsGiveUpWithACountAndTheOfflineHint() {
        hub.flaky.put("config.json", new AtomicInteger(100));
        assertThatThrownBy(() -> models(Map.of()).locate("org/base", null, false)).isInstanceOf(MergeException.class)
                .hasMessageContaining("after 4 attempts").hasMessageContaining("HF_HUB_OFFLINE=1");
    }

    /** A cache laid out by huggingface_hub's rules, made here by hand, is used with no network at all. */
    @Test
    void aHuggingfaceHubCacheIsUsedWithoutNetwork() throws IOException {
        hub.close();
        Path repo = tmp.resolve("hf/hub/models--acme--tiny");
        String c = "0123456789abcdef0123456789abcdef01234567";
        Path snap = Files.createDirectories(repo.resolve("snapshots").resolve(c));
        Files.createDirectories(repo.resolve("blobs"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), c);
        try (var files = Files.list(model)) {
            for (Path f : files.toList()) {
                String blob = BlobDownload.sha256(f);
                Files.copy(f, repo.resolve("blobs").resolve(blob));
                Files.createSymbolicLink(snap.resolve(f.getFileName()), Path.of("../../blobs").resolve(blob));
            }
        }
        for (var env : List.of(Map.of("HF_HUB_OFFLINE", "1"), Map.of("HF_HUB_OFFLINE", "true"))) {
            HubModels.Located loc = models(env).locate("acme/tiny", null, false);
            assertThat(loc.folder()).isEqualTo(snap);
            try (ModelWeights w = ModelWeights.open(loc.folder(), loc.remote());
                 ModelWeights local = ModelWeights.open(model)) {
                assertThat(w.segment("model.norm.weight").toArray(ValueLayout.JAVA_BYTE))
                        .isEqualTo(local.segment("model.norm.weight").toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    private String firstShard() throws IOException { return shards().get(0); }

    private String secondShard() throws IOException { return shards().get(1); }

    private List<String> shards() throws IOException {
        try (var s = Files.list(model)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors")).sorted().toList();
        }
    }

    static String hex(byte[] b) { return HexFormat.of().formatHex(b); }
}

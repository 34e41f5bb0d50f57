package dev.jmerge.io.safetensors;

import static dev.jmerge.io.Failures.writeFailed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.PrettyPrinter;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;

/**
 * Writes {@code model.safetensors.index.json} as mergekit does: {@code metadata} with {@code total_size} (bytes of
 * tensor data) and {@code mergekit_version}, then {@code weight_map}, indented by two spaces. The weight map is
 * sorted by tensor name (as Hugging Face writes it), so the file does not depend on the order tensors were planned.
 */
public final class IndexWriter {

    /** The mergekit release whose output jmerge reproduces. */
    public static final String MERGEKIT_VERSION = "0.1.4";

    private IndexWriter() {}

    /** Writes the index for a layout into {@code folder}; returns its path. */
    public static Path write(Path folder, ShardLayout layout) {
        return write(folder.resolve(SafetensorsFormat.INDEX_FILE), layout.weightMap(), layout.totalBytes());
    }

    public static Path write(Path indexFile, Map<String, String> weightMap, long totalSize) {
        try {
            Files.write(indexFile, json(weightMap, totalSize));
            return indexFile;
        } catch (IOException e) {
            throw writeFailed(indexFile, -1, "cannot write (" + e + ")", "a writable output folder", e);
        }
    }

    static byte[] json(Map<String, String> weightMap, long totalSize) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = Json.FACTORY.createGenerator(prettyContext(), out)) {
            g.writeStartObject();
            g.writeName("metadata");
            g.writeStartObject();
            g.writeNumberProperty("total_size", totalSize);
            g.writeStringProperty("mergekit_version", MERGEKIT_VERSION);
            g.writeEndObject();
            g.writeName("weight_map");
            g.writeStartObject();
            for (Map.Entry<String, String> e : weightMap.entrySet()) g.writeStringProperty(e.getKey(), e.getValue());
            g.writeEndObject();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** Python's {@code json.dump(indent=2)} look: {@code "key": value}, two spaces, LF line ends. */
    private static ObjectWriteContext prettyContext() {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectNameValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"));
        return new ObjectWriteContext.Base() {
            @Override
            public PrettyPrinter getPrettyPrinter() { return printer; }
        };
    }
}

package dev.jmerge.io.safetensors;

import dev.jmerge.io.WeightFile;
import dev.jmerge.io.WeightFormat;
import java.nio.file.Path;

/** safetensors: what mergekit reads first and what jmerge always writes. */
public final class SafetensorsFormat implements WeightFormat {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    @Override public String singleFile() { return SINGLE_FILE; }

    @Override public String indexFile() { return INDEX_FILE; }

    /** Any file that is not a PyTorch checkpoint by its name (shards are named freely by their index). */
    @Override
    public boolean reads(Path file) {
        String n = file.getFileName().toString();
        return !(n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth"));
    }

    @Override
    public WeightFile open(Path file) { return SafetensorsFile.open(file); }
}

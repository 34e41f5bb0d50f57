package dev.jmerge.io.pytorch;

import dev.jmerge.io.WeightFile;
import dev.jmerge.io.WeightFormat;
import java.nio.file.Path;

/** PyTorch zip checkpoints ({@code .bin}, {@code .pt}, {@code .pth}): read when a model has no safetensors. */
public final class PytorchFormat implements WeightFormat {

    public static final String SINGLE_FILE = "pytorch_model.bin";
    public static final String INDEX_FILE = "pytorch_model.bin.index.json";

    @Override public String singleFile() { return SINGLE_FILE; }

    @Override public String indexFile() { return INDEX_FILE; }

    @Override
    public boolean reads(Path file) {
        String n = file.getFileName().toString();
        return n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth");
    }

    @Override
    public WeightFile open(Path file) { return PytorchCheckpoint.open(file); }
}

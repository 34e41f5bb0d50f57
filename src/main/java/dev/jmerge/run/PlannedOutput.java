package dev.jmerge.run;

import dev.jmerge.io.safetensors.SafetensorsFormat;
import dev.jmerge.error.MergeException;
import dev.jmerge.io.ModelWeights;
import dev.jmerge.io.RemoteFiles;
import dev.jmerge.io.TensorInfo;
import dev.jmerge.output.OutputFolder;
import dev.jmerge.plan.Plan;
import dev.jmerge.plan.PlannedTensor;
import dev.jmerge.source.hub.HubModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a planned but unwritten merge will look like to the documents of a recipe that use it: a small staging
 * folder (outside the output paths, removed on close) with the config.json and tokenizer files the merge would
 * write, and its weights as a header only: names, shapes and dtypes of the planned tensors, no data. A
 * multi-document --dry-run plans each document against its predecessors' stand-ins.
 */
public final class PlannedOutput implements RemoteFiles, AutoCloseable {

    private final Path folder;
    private final Path weights;
    private final Map<String, TensorInfo> header;

    private PlannedOutput(Path folder, Map<String, TensorInfo> header) {
        this.folder = folder;
        this.weights = folder.resolve(SafetensorsFormat.SINGLE_FILE);
        this.header = Map.copyOf(header);
    }

    /** Stages {@code plan}'s output metadata as {@code run} would write it. */
    public static PlannedOutput stage(MergeRun run, Plan plan) {
        Path dir;
        try {
            dir = Files.createTempDirectory("jmerge-planned-");
        } catch (IOException e) {
            throw new MergeException("cannot create a temporary folder for the planned merge (" + e.getMessage() + ")", e);
        }
        try {
            run.writeMetadata(plan, dir);
        } catch (RuntimeException e) {
            OutputFolder.deleteTree(dir);
            throw e;
        }
        Map<String, TensorInfo> header = new LinkedHashMap<>();
        long at = 0;
        for (PlannedTensor t : plan.tensors()) {
            TensorInfo info = new TensorInfo(t.name(), t.outDtype(), t.shape(), at, at + t.outBytes());
            header.put(t.name(), info);
            at = info.end();
        }
        return new PlannedOutput(dir, header);
    }

    /** What the model locator returns for the planned output folder. */
    public HubModels.Located located() { return new HubModels.Located(folder, this); }

    @Override
    public boolean pending(Path file) { return file.equals(weights); }

    @Override
    public Map<String, TensorInfo> header(Path file) { return header; }

    @Override
    public void fetch(Collection<Path> files) {
        throw new IllegalStateException("a planned merge has no tensor data: " + folder);
    }

    @Override
    public void close() { OutputFolder.deleteTree(folder); }
}

package dev.jmerge.config;

import java.util.List;

/** One entry of {@code slices:}. {@code baseModel} overrides the top-level base for this slice, or is null. */
public record OutputSlice(List<SliceSource> sources, ModelReference baseModel, Parameters parameters, SourcePos pos) {}

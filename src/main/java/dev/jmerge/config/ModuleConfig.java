package dev.jmerge.config;

import java.util.List;

/** One entry of {@code modules:}; exactly one of {@code models} / {@code slices} is non-null. */
public record ModuleConfig(String name, List<InputModel> models, List<OutputSlice> slices, Parameters parameters,
                           SourcePos pos) {}

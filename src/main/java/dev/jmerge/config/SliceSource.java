package dev.jmerge.config;

/** One source of an output slice. {@code layerRange} is null when the YAML omits it (whole model). */
public record SliceSource(ModelReference model, LayerRange layerRange, Parameters parameters, SourcePos pos) {}

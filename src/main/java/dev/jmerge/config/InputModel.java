package dev.jmerge.config;

/** One entry of a {@code models:} list. */
public record InputModel(ModelReference model, Parameters parameters, SourcePos pos) {}

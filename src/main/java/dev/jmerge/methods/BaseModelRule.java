package dev.jmerge.methods;

/** What a method does with {@code base_model}. */
public enum BaseModelRule {
    /** The method cannot run without a base model. */
    REQUIRED,
    /** Used when given (e.g. nuslerp's task-vector mode). */
    OPTIONAL,
    /** Not used by the math (the base may still be one of the inputs, as in mergekit). */
    IGNORED
}

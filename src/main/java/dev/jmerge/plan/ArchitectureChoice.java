package dev.jmerge.plan;

import dev.jmerge.arch.ArchitectureSpec;
import java.util.List;

/** Adapts the models' configs and tensor names to the architecture resolver. */
final class ArchitectureChoice {

    private ArchitectureChoice() {}

    static ArchitectureSpec resolve(List<LoadedModel> models, boolean allowCrimes) {
        throw new IllegalStateException("wired when the arch package lands");
    }
}

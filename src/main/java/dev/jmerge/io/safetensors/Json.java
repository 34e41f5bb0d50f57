package dev.jmerge.io.safetensors;

import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;

/** The Jackson factory shared by the readers of this package. */
final class Json {

    private Json() {}

    /**
     * Duplicate keys are checked by hand where they matter, for messages that name the tensor. Strings and names
     * may be as long as the header itself: names are bounded by the 100 MB header cap, not by Jackson's defaults.
     */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNameLength((int) SafetensorsHeader.MAX_HEADER_BYTES)
                    .maxStringLength((int) SafetensorsHeader.MAX_HEADER_BYTES)
                    .build())
            .build();
}

package dev.jmerge.io;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Where one tensor's bytes are: its header entry (with the position in {@code file}), the file, and those bytes
 * in the file's read-only mapping (which starts {@code info.begin()} bytes before them).
 *
 * @param delta added to the decoded values as they are read (then rounded to the stored dtype), or null
 */
public record StoredTensor(TensorInfo info, Path file, MemorySegment bytes, ValueDelta delta) {}

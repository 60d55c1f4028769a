package io.kvpipe.common.wire;

import java.util.Objects;

/** A position in a group's (ring position, key bytes) order; a scan resumes strictly after it. */
public record ScanCursor(long position, byte[] key) {
  public ScanCursor {
    Objects.requireNonNull(key, "key");
  }
}

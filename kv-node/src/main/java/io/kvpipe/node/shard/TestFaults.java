package io.kvpipe.node.shard;

import io.kvpipe.common.wire.Command;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * Faults that integration tests inject into real nodes running in the test's own JVM, through system properties no
 * deployment sets. They reproduce what the node must survive but a healthy test run never shows: storage that makes
 * Ratis hang while it starts a replica, and a state machine bug that makes Ratis close a replica for good. Both act
 * inside the real Ratis server (nothing of Ratis is replaced), so the node's handling is what is tested.
 */
public final class TestFaults {
  /** {@code group=path}: starting that group's replica waits while the file exists (a replica slow to start). */
  public static final String HOLD_START = "kvpipe.test.fault.hold-start";
  /** {@code key}: applying a put of that key throws a non-KvException (a state machine bug). */
  public static final String FAIL_APPLY_OF_KEY = "kvpipe.test.fault.fail-apply-of-key";

  private TestFaults() {}

  static void holdStart(String group) {
    String spec = System.getProperty(HOLD_START);
    if (spec == null || !spec.startsWith(group + "=")) {
      return;
    }
    Path file = Path.of(spec.substring(group.length() + 1));
    while (Files.exists(file)) {
      LockSupport.parkNanos(20_000_000L);
    }
  }

  /** The key whose apply fails, read once per replica so the apply path does not look it up per entry; or null. */
  static byte[] failApplyKey() {
    String key = System.getProperty(FAIL_APPLY_OF_KEY);
    return key == null ? null : key.getBytes(StandardCharsets.UTF_8);
  }

  static void failApply(byte[] failKey, Command command) {
    if (failKey != null && command instanceof Command.Put p && Arrays.equals(p.key(), failKey)) {
      throw new IllegalStateException("test fault: applying a put of " + new String(failKey, StandardCharsets.UTF_8)
          + " fails (" + FAIL_APPLY_OF_KEY + ")");
    }
  }
}

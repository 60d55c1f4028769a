package io.kvpipe.testsupport.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the clients know was acknowledged: per key the newest acknowledged write (value or delete, with its version),
 * and the log of every acknowledgement. Each key has one writer thread, so a key's acknowledgements arrive in order;
 * readers on any thread take {@link #get} before a read as the lower bound the read must meet. A key whose last write
 * failed is {@code uncertain}: either outcome is legal until its writer's next acknowledged write.
 */
public final class KeyModel {
  /** The newest acknowledged state of a key; {@code value == null} is a delete. */
  public record State(long version, byte[] value, boolean uncertain) {
    public boolean deleted() {
      return value == null;
    }
  }

  /** One acknowledged write. */
  public record Ack(String key, long version, boolean delete) {}

  private final Map<String, State> states = new ConcurrentHashMap<>();
  private final Queue<Ack> acks = new ConcurrentLinkedQueue<>();

  /**
   * Records an acknowledged put ({@code value != null}) or delete. Returns the previous acknowledged version if the new
   * one does not exceed it (a version regression), else 0.
   */
  public long acked(String key, long version, byte[] value) {
    State prev = states.get(key);
    states.put(key, new State(version, value, false));
    acks.add(new Ack(key, version, value == null));
    return prev != null && version <= prev.version() ? prev.version() : 0;
  }

  /** The key's last write failed: its outcome is unknown. */
  public void uncertain(String key) {
    states.compute(key, (k, prev) -> prev == null ? new State(0, null, true)
        : new State(prev.version(), prev.value(), true));
  }

  /** Null if the key was never acknowledged. */
  public State get(String key) {
    return states.get(key);
  }

  public Map<String, State> snapshot() {
    return Map.copyOf(states);
  }

  public List<Ack> acks() {
    return new ArrayList<>(acks);
  }
}
